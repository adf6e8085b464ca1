package dev.oomwatch.wire;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for one generated Avro type, in Avro single-object encoding ({@code C3 01}, the
 * writer schema's 64-bit fingerprint, then the binary body). Needs no schema registry: every
 * released version of the schema ships in this module and is registered with the decoder, so
 * any reader with the schemas decodes what any older writer wrote.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
  private final Class<T> type;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  public AvroSerde(final Class<T> type) {
    TrustedSchemaClasses.install();
    this.type = type;
    final SpecificData model = new SpecificData(type.getClassLoader());
    final Schema current = model.getSchema(type);
    final SchemaStore.Cache released = new SchemaStore.Cache();
    for (final Schema old : SchemaHistory.released(current.getName())) {
      released.addSchema(old);
    }
    this.encoder = new BinaryMessageEncoder<>(model, current);
    this.decoder = new BinaryMessageDecoder<>(model, current, released);
    this.decoder.addSchema(current);
  }

  public Class<T> type() {
    return type;
  }

  public byte[] encode(final T record) {
    try {
      final ByteBuffer buffer = encoder.encode(record);
      final byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException | AvroRuntimeException | NullPointerException | ClassCastException e) {
      throw new SerializationException(
          "cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  /** Decodes one record; every failure is a SerializationException naming the topic and why. */
  public T decode(final String topic, final byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      return decoder.decode(bytes);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "cannot decode " + type.getSimpleName() + " from topic " + topic + ": " + reason(e), e);
    }
  }

  private static String reason(final Exception e) {
    final String name = e.getClass().getSimpleName();
    return e.getMessage() == null ? name : name + ": " + e.getMessage();
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, record) -> record == null ? null : encode(record);
  }

  @Override
  public Deserializer<T> deserializer() {
    return this::decode;
  }
}
