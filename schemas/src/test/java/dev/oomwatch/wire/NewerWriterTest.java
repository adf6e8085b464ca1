package dev.oomwatch.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.oomwatch.schema.KernelEvent;
import java.io.ByteArrayOutputStream;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A record written under a newer schema than this build ships: read once the schema is resolved. */
class NewerWriterTest {
  private final AvroSerde<KernelEvent> serde = new AvroSerde<>(KernelEvent.class);

  @AfterEach
  void uninstall() {
    AvroSerde.resolveUnknownSchemasWith(null);
  }

  @Test
  void aNewerSchemaIsResolvedToThisBuildsAndItsNewFieldSkipped() throws Exception {
    final Schema current = KernelEvent.getClassSchema();
    final Schema newer = withField(current);
    final KernelEvent event = KernelEvent.newBuilder().setHost("node-1").setTimestampMs(42L)
        .setKind(dev.oomwatch.schema.KernelEventKind.OOM_KILL).setSource(dev.oomwatch.schema.KernelEventSource.KMSG).build();
    final byte[] bytes = writtenBy(newer, event);

    assertThatThrownBy(() -> serde.decode("oomwatch.kernel-events", bytes)).isInstanceOf(SerializationException.class)
        .hasMessageContaining("unknown schema fingerprint");
    final long fingerprint = SchemaNormalization.parsingFingerprint64(newer);
    AvroSerde.resolveUnknownSchemasWith(f -> f == fingerprint ? Optional.of(newer) : Optional.empty());
    final KernelEvent read = serde.decode("oomwatch.kernel-events", bytes);
    assertThat(read.getHost()).isEqualTo("node-1");
    assertThat(read.getTimestampMs()).isEqualTo(42L);
  }

  @Test
  void aSchemaOfAnotherRecordIsNotTakenForThisOne() throws Exception {
    final Schema other = SchemaBuilder.record("Other").namespace("x").fields().requiredString("a").endRecord();
    final Schema newer = withField(KernelEvent.getClassSchema());
    final byte[] bytes = writtenBy(newer, KernelEvent.newBuilder().setHost("h").setTimestampMs(1L)
        .setKind(dev.oomwatch.schema.KernelEventKind.OOM_KILL).setSource(dev.oomwatch.schema.KernelEventSource.KMSG).build());
    AvroSerde.resolveUnknownSchemasWith(f -> Optional.of(other));
    assertThatThrownBy(() -> serde.decode("t", bytes)).hasMessageContaining("not on the schemas topic either");
  }

  private static Schema withField(final Schema schema) {
    final java.util.List<Schema.Field> fields = new java.util.ArrayList<>();
    for (final Schema.Field f : schema.getFields()) {
      fields.add(new Schema.Field(f, f.schema()));
    }
    fields.add(new Schema.Field("addedLater", Schema.create(Schema.Type.STRING), "a field of a newer release", "none"));
    return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
  }

  private byte[] writtenBy(final Schema newer, final KernelEvent event) throws Exception {
    final byte[] body = serde.encode(event);
    final GenericRecord record = new GenericDatumReader<GenericRecord>(KernelEvent.getClassSchema(), newer)
        .read(null, DecoderFactory.get().binaryDecoder(body, 10, body.length - 10, null));
    record.put("addedLater", "from the future");
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(dev.oomwatch.wire.AvroSerde.header(newer));
    final BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(newer, GenericData.get()).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }
}
