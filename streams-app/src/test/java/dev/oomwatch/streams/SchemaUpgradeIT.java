package dev.oomwatch.streams;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.DeadLetter;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.testkit.TopicRecords;
import dev.oomwatch.wire.SchemaTopic;
import dev.oomwatch.wire.Serdes;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A collector upgraded before the streams-app: it writes RedisSample with a field this build does
 * not know, under a fingerprint this build does not ship. The writer published that schema to the
 * schemas topic, so this streams-app reads the records; a record whose schema no one published
 * still goes to the dead letters, saying why.
 */
class SchemaUpgradeIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void aNewerWritersRecordsAreReadOnceItsSchemaIsPublishedAndOnlyThen() throws Exception {
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"))) {
      final Map<String, String> values = new HashMap<>();
      values.put("kafka.bootstrap.servers", kafka.bootstrapServers());
      values.put("topic.partitions", "1");
      values.put("streams.state.dir", dir.resolve("state").toString());
      values.put("streams.application.id", "oomwatch-schema-it");
      values.put("http.port", "0");
      values.put("streams.metrics.port", "0");
      final Settings settings = Settings.of(values);
      TopicRecords.provision(kafka.bootstrapServers(), settings);

      final Schema current = RedisSample.getClassSchema();
      final Schema published = newer(current, "futureField");
      final Schema unpublished = newer(current, "otherFutureField");
      assertThat(SchemaNormalization.parsingFingerprint64(published))
          .isNotEqualTo(SchemaNormalization.parsingFingerprint64(current));
      final long now = System.currentTimeMillis();
      final Series known = new Series("cache-new", 6379, "/redis", 4096);
      known.restart(now - 1000, 7000);
      final Series unknown = new Series("cache-unknown", 6379, "/redis", 4096);
      unknown.restart(now - 1000, 7001);

      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          kafka.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
        producer.send(SchemaTopic.record("oomwatch.schemas", published)).get();
        producer.send(new ProducerRecord<>("oomwatch.redis-samples", known.host,
            encode(known.redis(now, 100, 110, false, null), published, "futureField"))).get();
        producer.send(new ProducerRecord<>("oomwatch.redis-samples", unknown.host,
            encode(unknown.redis(now, 100, 110, false, null), unpublished, "otherFutureField"))).get();
      }

      try (StreamsApp app = StreamsApp.start(StreamsAppConfig.from(settings)).awaitRunning(Duration.ofSeconds(90))) {
        TopicRecords.awaitConsumed(kafka.bootstrapServers(), "oomwatch-schema-it",
            List.of("oomwatch.redis-samples"), Duration.ofSeconds(120));
        final List<DeadLetter> letters = TopicRecords.readAll(kafka.bootstrapServers(), "oomwatch.dead-letters",
            Serdes.deadLetter().deserializer(), Duration.ofSeconds(30));
        assertThat(letters).as("only the record whose schema no one published").singleElement().satisfies(d -> {
          assertThat(d.getReason()).contains("unknown schema fingerprint").contains("not on the schemas topic either");
          assertThat(new String(d.getKey().array(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(unknown.host);
        });
        final HttpResponse<String> instances = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(app.http().orElseThrow().url() + "api/instances")).build(), HttpResponse.BodyHandlers.ofString());
        final JsonNode list = JSON.readTree(instances.body());
        assertThat(list.findValuesAsText("instance")).as(instances.body()).contains(known.instance)
            .doesNotContain(unknown.instance);
      }
    }
  }

  /** The schema with one more field, a string with a default: how every release adds a field. */
  private static Schema newer(final Schema schema, final String field) throws Exception {
    final ObjectNode tree = (ObjectNode) JSON.readTree(schema.toString());
    final ObjectNode added = JSON.createObjectNode();
    added.put("name", field);
    added.put("type", "string");
    added.put("default", "none");
    ((com.fasterxml.jackson.databind.node.ArrayNode) tree.get("fields")).add(added);
    return new Schema.Parser().parse(JSON.writeValueAsString(tree));
  }

  /** The sample as a newer writer writes it: single-object encoding under the newer schema. */
  private static byte[] encode(final RedisSample sample, final Schema newer, final String field) throws Exception {
    final byte[] body = Serdes.redisSample().encode(sample);
    final GenericRecord record = new GenericDatumReader<GenericRecord>(RedisSample.getClassSchema(), newer)
        .read(null, DecoderFactory.get().binaryDecoder(body, 10, body.length - 10, null));
    record.put(field, "from a newer collector");
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(dev.oomwatch.wire.AvroSerde.header(newer));
    final BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(newer, GenericData.get()).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }
}
