package dev.oomwatch.history;

import java.nio.ByteBuffer;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * A rolled-up page in a compact binary layout, because its bytes are what a day of history costs
 * on disk, in the changelog and in a restore. Every number is a zigzag varint and every figure is
 * written as a difference: its last against the previous bucket's last, its minimum and maximum
 * against its own last. A quiet instance's buckets are then a few bytes each.
 *
 * <p>Layout: version, page start, bucket width, buckets in the page, buckets present; per bucket: buckets since the
 * previous one, samples, reachable samples, flags (forking, child pid present), [child pid], last
 * timestamp after the bucket's start, mask of present figures, mask of flat figures (minimum equal
 * to maximum), then per present figure: last minus previous last and, unless flat, last minus
 * minimum and maximum minus last.
 */
public final class RollupPageSerde extends CompactSerde<RollupPage> {
  private static final byte VERSION = 1;

  public RollupPageSerde() {
    super("a rolled-up page");
  }

  @Override
  byte[] encode(final RollupPage value) {
    return write(value);
  }

  @Override
  RollupPage decode(final ByteBuffer in) {
    return read(in);
  }

  static byte[] write(final RollupPage page) {
    return bytes(64 + 24 * page.slots(), out -> {
      out.writeByte(VERSION);
      ByteUtils.writeVarlong(page.startMs(), out);
      ByteUtils.writeVarlong(page.bucketMs(), out);
      ByteUtils.writeVarint(page.slots(), out);
      final java.util.List<RollupBucket> buckets = page.buckets();
      ByteUtils.writeVarint(buckets.size(), out);
      final long[] previous = new long[RollupBucket.N];
      long previousStart = page.startMs();
      for (final RollupBucket b : buckets) {
        ByteUtils.writeVarlong((b.startMs - previousStart) / page.bucketMs(), out);
        previousStart = b.startMs;
        ByteUtils.writeVarint(b.samples, out);
        ByteUtils.writeVarint(b.reachable, out);
        out.writeByte((b.forking ? 1 : 0) | (b.childPid != null ? 2 : 0));
        if (b.childPid != null) {
          ByteUtils.writeVarlong(b.childPid, out);
        }
        ByteUtils.writeVarlong(b.lastMs - b.startMs, out);
        ByteUtils.writeVarint(b.present, out);
        int flat = 0;
        for (int i = 0; i < RollupBucket.N; i++) {
          if (b.has(i) && b.min[i] == b.max[i]) {
            flat |= 1 << i;
          }
        }
        ByteUtils.writeVarint(flat, out);
        for (int i = 0; i < RollupBucket.N; i++) {
          if (b.has(i)) {
            ByteUtils.writeVarlong(b.last[i] - previous[i], out);
            if ((flat & (1 << i)) == 0) {
              ByteUtils.writeVarlong(b.last[i] - b.min[i], out);
              ByteUtils.writeVarlong(b.max[i] - b.last[i], out);
            }
            previous[i] = b.last[i];
          }
        }
      }
    });
  }

  static RollupPage read(final ByteBuffer in) {
    final byte version = in.get();
    if (version != VERSION) {
      throw new IllegalArgumentException("unknown rolled-up page version " + version);
    }
    final long start = ByteUtils.readVarlong(in);
    final long bucketMs = ByteUtils.readVarlong(in);
    final int slots = ByteUtils.readVarint(in);
    final int count = ByteUtils.readVarint(in);
    final RollupPage page = new RollupPage(start, bucketMs, slots * bucketMs);
    final long[] previous = new long[RollupBucket.N];
    long bucketStart = start;
    for (int k = 0; k < count; k++) {
      bucketStart += ByteUtils.readVarlong(in) * bucketMs;
      final RollupBucket b = new RollupBucket(bucketStart);
      b.samples = ByteUtils.readVarint(in);
      b.reachable = ByteUtils.readVarint(in);
      final byte flags = in.get();
      b.forking = (flags & 1) != 0;
      if ((flags & 2) != 0) {
        b.childPid = ByteUtils.readVarlong(in);
      }
      b.lastMs = bucketStart + ByteUtils.readVarlong(in);
      b.present = ByteUtils.readVarint(in);
      final int flat = ByteUtils.readVarint(in);
      for (int i = 0; i < RollupBucket.N; i++) {
        if (b.has(i)) {
          b.last[i] = previous[i] + ByteUtils.readVarlong(in);
          final boolean same = (flat & (1 << i)) != 0;
          b.min[i] = same ? b.last[i] : b.last[i] - ByteUtils.readVarlong(in);
          b.max[i] = same ? b.last[i] : b.last[i] + ByteUtils.readVarlong(in);
          previous[i] = b.last[i];
        }
      }
      page.put(b);
    }
    return page;
  }
}
