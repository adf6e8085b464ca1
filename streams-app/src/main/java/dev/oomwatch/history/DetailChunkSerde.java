package dev.oomwatch.history;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * A detail chunk in a compact layout: each snapshot as differences from the one before (time,
 * then each figure against the same figure), zigzag varints throughout; a snapshot whose figures
 * did not move is a few bytes. Layout: version, count; per snapshot: time since the previous one,
 * flags (reachable, forking), mask of present figures, then each present figure minus its previous
 * value (0 before the first).
 */
public final class DetailChunkSerde extends CompactSerde<DetailChunk> {
  private static final byte VERSION = 1;
  private static final int FIGURES = 11;

  public DetailChunkSerde() {
    super("a detail chunk");
  }

  @Override
  byte[] encode(final DetailChunk value) {
    return write(value);
  }

  @Override
  DetailChunk decode(final ByteBuffer in) {
    return read(in);
  }

  static byte[] write(final DetailChunk chunk) {
    return bytes(16 + 16 * chunk.points().size(), out -> {
      out.writeByte(VERSION);
      ByteUtils.writeVarint(chunk.points().size(), out);
      long previousTs = 0;
      final long[] previous = new long[FIGURES];
      for (final TimelinePoint p : chunk.points()) {
        ByteUtils.writeVarlong(p.timestampMs() - previousTs, out);
        previousTs = p.timestampMs();
        out.writeByte((p.reachable() ? 1 : 0) | (p.forking() ? 2 : 0));
        final Long[] f = figures(p);
        int mask = 0;
        for (int i = 0; i < FIGURES; i++) {
          if (f[i] != null) {
            mask |= 1 << i;
          }
        }
        ByteUtils.writeVarint(mask, out);
        for (int i = 0; i < FIGURES; i++) {
          if (f[i] != null) {
            ByteUtils.writeVarlong(f[i] - previous[i], out);
            previous[i] = f[i];
          }
        }
      }
    });
  }

  static DetailChunk read(final ByteBuffer in) {
    final byte version = in.get();
    if (version != VERSION) {
      throw new IllegalArgumentException("unknown detail chunk version " + version);
    }
    final int count = ByteUtils.readVarint(in);
    final List<TimelinePoint> points = new ArrayList<>(count);
    long ts = 0;
    final long[] previous = new long[FIGURES];
    for (int k = 0; k < count; k++) {
      ts += ByteUtils.readVarlong(in);
      final byte flags = in.get();
      final int mask = ByteUtils.readVarint(in);
      final Long[] f = new Long[FIGURES];
      for (int i = 0; i < FIGURES; i++) {
        if ((mask & (1 << i)) != 0) {
          previous[i] += ByteUtils.readVarlong(in);
          f[i] = previous[i];
        }
      }
      points.add(new TimelinePoint(ts, (flags & 1) != 0, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9],
          f[10], (flags & 2) != 0));
    }
    return new DetailChunk(points);
  }

  /** The nullable figures in layout order (the constructor's). */
  private static Long[] figures(final TimelinePoint p) {
    return new Long[] {p.usedMemory(), p.usedMemoryRss(), p.maxmemory(), p.serverRss(), p.childPid(), p.childRss(),
        p.cgroupUsage(), p.cgroupAnon(), p.cgroupLimit(), p.physical(), p.limit()};
  }
}
