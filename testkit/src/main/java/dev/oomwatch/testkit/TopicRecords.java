package dev.oomwatch.testkit;

import dev.oomwatch.config.Settings;
import dev.oomwatch.topics.TopicPlan;
import dev.oomwatch.topics.TopicProvisioner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Test helpers that read and prepare real topics. */
public final class TopicRecords {
  private TopicRecords() {}

  public static void provision(final String bootstrap, final Settings settings) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      TopicProvisioner.ensure(admin, TopicPlan.from(settings));
    }
  }

  /** Every record from the beginning, until {@code until} holds for the list or the deadline passes. */
  public static <V> List<V> read(
      final String bootstrap,
      final String topic,
      final Deserializer<V> values,
      final Predicate<List<V>> until,
      final Duration deadline) {
    final List<V> records = new ArrayList<>();
    try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(), values)) {
      final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      final long end = System.currentTimeMillis() + deadline.toMillis();
      while (System.currentTimeMillis() < end && !until.test(records)) {
        for (final ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(200))) {
          records.add(r.value());
        }
      }
    }
    return records;
  }
}
