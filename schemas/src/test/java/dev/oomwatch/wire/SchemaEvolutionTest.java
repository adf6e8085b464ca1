package dev.oomwatch.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.DeadLetter;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.RedisSample;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The build's compatibility check: every released schema version stays readable. */
class SchemaEvolutionTest {

  static Stream<Arguments> releasedVersions() {
    return Stream.of(RedisSample.class, HostSample.class, KernelEvent.class, Alert.class, DeadLetter.class)
        .flatMap(type -> {
          final Schema current = schemaOf(type);
          final List<Schema> released = SchemaHistory.released(current.getName());
          return java.util.stream.IntStream.range(0, released.size())
              .mapToObj(i -> Arguments.of(type.getSimpleName() + ".v" + (i + 1), type, released.get(i)));
        });
  }

  static Stream<Class<? extends SpecificRecord>> types() {
    return Stream.of(RedisSample.class, HostSample.class, KernelEvent.class, Alert.class, DeadLetter.class);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("releasedVersions")
  void currentSchemaCanReadEveryReleasedVersion(
      final String name, final Class<? extends SpecificRecord> type, final Schema released) {
    final SchemaCompatibility.SchemaPairCompatibility result =
        SchemaCompatibility.checkReaderWriterCompatibility(schemaOf(type), released);
    assertThat(result.getType())
        .as("%s: %s", name, result.getDescription())
        .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
  }

  @ParameterizedTest
  @MethodSource("types")
  void theCurrentSchemaIsReleased(final Class<? extends SpecificRecord> type) throws IOException {
    // Compare against the source .avsc: the generated class's copy carries Java-only properties.
    final Schema current = new Schema.Parser().parse(
        java.nio.file.Path.of("src/main/avro", type.getSimpleName() + ".avsc").toFile());
    final List<Schema> released = SchemaHistory.released(current.getName());
    assertThat(released).as("released versions of %s", current.getName()).isNotEmpty();
    assertThat(released.get(released.size() - 1))
        .as("a schema change must be released as %s.v%d.avsc under schemas/src/main/resources/dev/oomwatch/schema/history",
            current.getName(), released.size() + 1)
        .isEqualTo(current);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("releasedVersions")
  void aRecordWrittenWithAReleasedVersionDecodesWithTheCurrentSerde(
      final String name, final Class<? extends SpecificRecord> type, final Schema released) throws IOException {
    final GenericRecord old = MinimalRecords.of(released);
    final ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), released).encode(old);
    final byte[] bytes = new byte[encoded.remaining()];
    encoded.get(bytes);

    final SpecificRecord decoded = serdeFor(type).decode("test", bytes);

    assertThat(decoded).isInstanceOf(type);
    for (final Schema.Field field : released.getFields()) {
      final Schema.Field now = decoded.getSchema().getField(field.name());
      if (now != null && old.get(field.name()) instanceof CharSequence text) {
        assertThat(String.valueOf(decoded.get(now.pos()))).as(name + "." + field.name()).isEqualTo(text.toString());
      }
    }
  }

  private static AvroSerde<? extends SpecificRecord> serdeFor(final Class<? extends SpecificRecord> type) {
    return new AvroSerde<>(type);
  }

  private static Schema schemaOf(final Class<? extends SpecificRecord> type) {
    return org.apache.avro.specific.SpecificData.get().getSchema(type);
  }
}
