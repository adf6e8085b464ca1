package dev.oomwatch.streams;

import dev.oomwatch.topics.Topic;
import dev.oomwatch.wire.AvroSerde;
import dev.oomwatch.wire.Serdes;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Scenario records onto a real broker, as a collector would publish them: keyed by host, timestamped. */
final class ScenarioRecords {
  private ScenarioRecords() {}

  /** A copy moved in time, so a scenario written at {@link Series#T0} happens now. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static SpecificRecord shifted(final SpecificRecord record, final long shift) {
    // A copy through the serde, as a consumer would see it (Avro's own deepCopy would need the
    // class trust that only the serde installs).
    final AvroSerde serde = Serdes.forTopic(Topic.byName(topicOf(record), Topic.DEFAULT_PREFIX).orElseThrow());
    final SpecificRecord copy = (SpecificRecord) serde.decode("copy", serde.encode(record));
    final int ts = copy.getSchema().getField("timestampMs").pos();
    copy.put(ts, (Long) copy.get(ts) + shift);
    return copy;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static void produce(final String bootstrap, final List<SpecificRecord> records) {
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
        Map.of("bootstrap.servers", bootstrap, "enable.idempotence", true, "acks", "all"),
        new StringSerializer(), new ByteArraySerializer())) {
      for (final SpecificRecord r : records) {
        final Topic topic = Topic.byName(topicOf(r), Topic.DEFAULT_PREFIX).orElseThrow();
        final byte[] bytes = ((AvroSerde) Serdes.forTopic(topic)).encode(r);
        final long ts = (Long) r.get(r.getSchema().getField("timestampMs").pos());
        final String host = String.valueOf(r.get(r.getSchema().getField("host").pos()));
        producer.send(new ProducerRecord<>(topic.fullName(Topic.DEFAULT_PREFIX), null, ts, host, bytes));
      }
      producer.flush();
    }
  }

  static String topicOf(final SpecificRecord r) {
    return switch (r.getSchema().getName()) {
      case "RedisSample" -> "redis-samples";
      case "HostSample" -> "host-samples";
      default -> "kernel-events";
    };
  }
}
