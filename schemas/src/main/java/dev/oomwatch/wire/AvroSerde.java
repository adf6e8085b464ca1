package dev.oomwatch.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
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
 *
 * <p>The header is read and written here and the body goes through Avro's array-backed binary
 * coders and the generated classes' own (de)coding ("custom coders"): Avro's message classes read
 * the body a byte at a time through an InputStream, and that was a quarter of the streams-app's
 * time per record (measured: decoding a host sample 2.5 us there, 0.9-1.2 us here).
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
  private static final byte MAGIC_0 = (byte) 0xC3;
  private static final byte MAGIC_1 = (byte) 0x01;
  private static final int HEADER = 10;

  private final Class<T> type;
  private final byte[] header;
  private final SpecificDatumWriter<T> writer;
  /**
   * Where fingerprints this build does not ship are looked up (a newer writer's schema); none
   * until a process installs one ({@link #resolveUnknownSchemasWith}).
   */
  private static final java.util.concurrent.atomic.AtomicReference<SchemaResolver> UNKNOWN_SCHEMAS =
      new java.util.concurrent.atomic.AtomicReference<>();

  /** A reader per writer schema this type has ever had, by the schema's 64-bit fingerprint. */
  private final Map<Long, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();
  private final SpecificData model;
  private final Schema current;

  public AvroSerde(final Class<T> type) {
    TrustedSchemaClasses.install();
    this.type = type;
    this.model = new SpecificData(type.getClassLoader());
    model.setFastReaderEnabled(false); // the generated coders below are faster still
    model.setCustomCoders(true);
    this.current = model.getSchema(type);
    this.header = header(current);
    this.writer = new SpecificDatumWriter<>(current, model);
    for (final Schema old : SchemaHistory.released(current.getName())) {
      readers.put(SchemaNormalization.parsingFingerprint64(old), new SpecificDatumReader<>(old, current, model));
    }
    readers.put(SchemaNormalization.parsingFingerprint64(current), new SpecificDatumReader<>(current, current, model));
  }

  public Class<T> type() {
    return type;
  }

  /** For this process: resolve writer schemas it does not ship with {@code resolver} (see {@link SchemaTopic}). */
  public static void resolveUnknownSchemasWith(final SchemaResolver resolver) {
    UNKNOWN_SCHEMAS.set(resolver);
  }

  /** No longer resolves with {@code resolver}, if it is still the one installed. */
  public static void stopResolvingWith(final SchemaResolver resolver) {
    UNKNOWN_SCHEMAS.compareAndSet(resolver, null);
  }

  /** A newer writer's schema of this same record, resolved to this build's; null when none is found. */
  private SpecificDatumReader<T> readerFor(final long fingerprint) {
    final SchemaResolver resolver = UNKNOWN_SCHEMAS.get();
    if (resolver == null) {
      return null;
    }
    final Schema writerSchema = resolver.resolve(fingerprint).orElse(null);
    if (writerSchema == null || !writerSchema.getFullName().equals(current.getFullName())) {
      return null;
    }
    return readers.computeIfAbsent(fingerprint, f -> new SpecificDatumReader<>(writerSchema, current, model));
  }

  public byte[] encode(final T record) {
    try {
      final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
      out.write(header);
      final BinaryEncoder body = EncoderFactory.get().directBinaryEncoder(out, null);
      writer.write(record, body);
      body.flush();
      return out.toByteArray();
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
      if (bytes.length < HEADER || bytes[0] != MAGIC_0 || bytes[1] != MAGIC_1) {
        throw new IOException("not Avro single-object encoding (no C3 01 header)");
      }
      final long fingerprint = littleEndianLong(bytes, 2);
      SpecificDatumReader<T> reader = readers.get(fingerprint);
      if (reader == null) {
        reader = readerFor(fingerprint);
      }
      if (reader == null) {
        throw new IOException("unknown schema fingerprint " + Long.toHexString(fingerprint)
            + (UNKNOWN_SCHEMAS.get() == null ? "" : ", not on the schemas topic either"));
      }
      final BinaryDecoder body = DecoderFactory.get().binaryDecoder(bytes, HEADER, bytes.length - HEADER, null);
      return reader.read(null, body);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "cannot decode " + type.getSimpleName() + " from topic " + topic + ": " + reason(e), e);
    }
  }

  /** The single-object encoding's header of a record written under {@code schema}: C3 01, its fingerprint. */
  public static byte[] header(final Schema schema) {
    final long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
    final byte[] h = new byte[HEADER];
    h[0] = MAGIC_0;
    h[1] = MAGIC_1;
    for (int i = 0; i < 8; i++) {
      h[2 + i] = (byte) (fingerprint >>> (8 * i));
    }
    return h;
  }

  private static long littleEndianLong(final byte[] b, final int off) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[off + i] & 0xFFL);
    }
    return v;
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
