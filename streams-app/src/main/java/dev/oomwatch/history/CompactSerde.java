package dev.oomwatch.history;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A history value in a layout of its own: nulls pass through, and a record that cannot be read
 * fails with what it was and where it came from.
 */
abstract class CompactSerde<T> implements Serde<T> {
  private final String what;

  CompactSerde(final String what) {
    this.what = what;
  }

  abstract byte[] encode(T value);

  /** What writes a body to the stream. */
  @FunctionalInterface
  interface Body {
    void write(DataOutputStream out) throws IOException;
  }

  /** A body written into a byte array of about {@code expected} bytes. */
  static byte[] bytes(final int expected, final Body body) {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream(expected);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      body.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return bytes.toByteArray();
  }

  abstract T decode(ByteBuffer in);

  @Override
  public Serializer<T> serializer() {
    return (topic, value) -> value == null ? null : encode(value);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      try {
        return decode(ByteBuffer.wrap(bytes));
      } catch (RuntimeException e) {
        throw new SerializationException("cannot read " + what + " from " + topic + " (" + bytes.length + " bytes)", e);
      }
    };
  }
}
