package dev.oomwatch.history;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * A detail chunk in a compact layout: each snapshot as differences from the one before (time,
 * then each figure against the same figure), zigzag varints throughout; a snapshot whose figures
 * did not move is a few bytes. Layout: version, count; per snapshot: time since the previous one,
 * flags (reachable, forking), mask of present figures, then each present figure minus its previous
 * value (0 before the first).
 */
public final class DetailChunkSerde implements Serde<DetailChunk> {
  private static final byte VERSION = 1;
  private static final int FIGURES = 11;

  @Override
  public Serializer<DetailChunk> serializer() {
    return (topic, chunk) -> chunk == null ? null : write(chunk);
  }

  @Override
  public Deserializer<DetailChunk> deserializer() {
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      try {
        return read(ByteBuffer.wrap(bytes));
      } catch (RuntimeException e) {
        throw new SerializationException("cannot read a detail chunk from " + topic + " (" + bytes.length + " bytes)", e);
      }
    };
  }

  static byte[] write(final DetailChunk chunk) {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + 16 * chunk.points().size());
    try (DataOutputStream out = new DataOutputStream(bytes)) {
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
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return bytes.toByteArray();
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
