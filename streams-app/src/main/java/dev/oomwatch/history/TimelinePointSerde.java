package dev.oomwatch.history;

import dev.oomwatch.streams.JsonSerde;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The timeline's rows in a fixed binary layout: a row is written for every Redis sample, and
 * through Jackson that was a tenth of the stream thread's time (measured). Layout: a version
 * byte, a flags byte (reachable, forking), a 16-bit mask of the nullable figures present, the
 * timestamp, then each present figure; 12 to 100 bytes. Rows written before it (Smile or JSON,
 * which never start with the version byte) are still read.
 */
public final class TimelinePointSerde implements Serde<TimelinePoint> {
  private static final byte VERSION = 1;
  private static final int FIGURES = 11;
  private final JsonSerde<TimelinePoint> older = new JsonSerde<>(TimelinePoint.class);

  @Override
  public Serializer<TimelinePoint> serializer() {
    return (topic, p) -> p == null ? null : write(p);
  }

  @Override
  public Deserializer<TimelinePoint> deserializer() {
    final Deserializer<TimelinePoint> json = older.deserializer();
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      if (bytes.length == 0 || bytes[0] != VERSION) {
        return json.deserialize(topic, bytes);
      }
      try {
        return read(ByteBuffer.wrap(bytes));
      } catch (RuntimeException e) {
        throw new SerializationException("cannot read a timeline row from " + topic + " (" + bytes.length + " bytes)", e);
      }
    };
  }

  static byte[] write(final TimelinePoint p) {
    final Long[] figures = figures(p);
    int mask = 0;
    int size = 1 + 1 + 2 + 8;
    for (int i = 0; i < FIGURES; i++) {
      if (figures[i] != null) {
        mask |= 1 << i;
        size += 8;
      }
    }
    final ByteBuffer out = ByteBuffer.allocate(size);
    out.put(VERSION);
    out.put((byte) ((p.reachable() ? 1 : 0) | (p.forking() ? 2 : 0)));
    out.putShort((short) mask);
    out.putLong(p.timestampMs());
    for (final Long figure : figures) {
      if (figure != null) {
        out.putLong(figure);
      }
    }
    return out.array();
  }

  static TimelinePoint read(final ByteBuffer in) {
    in.get();
    final byte flags = in.get();
    final int mask = in.getShort() & 0xFFFF;
    final long ts = in.getLong();
    final Long[] f = new Long[FIGURES];
    for (int i = 0; i < FIGURES; i++) {
      if ((mask & (1 << i)) != 0) {
        f[i] = in.getLong();
      }
    }
    return new TimelinePoint(ts, (flags & 1) != 0, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10],
        (flags & 2) != 0);
  }

  /** The nullable figures in layout order. A new figure goes at the end: older readers skip its bit. */
  private static Long[] figures(final TimelinePoint p) {
    return new Long[] {p.usedMemory(), p.usedMemoryRss(), p.maxmemory(), p.serverRss(), p.childPid(), p.childRss(),
        p.cgroupUsage(), p.cgroupAnon(), p.cgroupLimit(), p.physical(), p.limit()};
  }
}
