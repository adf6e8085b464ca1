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
    try (KafkaConsumer<String, V> consumer = fromTheBeginning(bootstrap, topic, values)) {
      final long end = System.currentTimeMillis() + deadline.toMillis();
      while (System.currentTimeMillis() < end && !until.test(records)) {
        for (final ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(200))) {
          records.add(r.value());
        }
      }
    }
    return records;
  }

  /**
   * Every record on the topic now: read up to the end offsets of the moment of the call. For "no
   * more than" checks once the producer is closed (flushed), instead of a wait that hopes it is over.
   */
  public static <V> List<V> readAll(final String bootstrap, final String topic, final Deserializer<V> values,
      final Duration deadline) {
    final List<V> records = new ArrayList<>();
    try (KafkaConsumer<String, V> consumer = fromTheBeginning(bootstrap, topic, values)) {
      final Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment());
      final long end = System.currentTimeMillis() + deadline.toMillis();
      while (ends.keySet().stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
        if (System.currentTimeMillis() > end) {
          throw new IllegalStateException(topic + " not read to its end " + ends + " within " + deadline);
        }
        for (final ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(200))) {
          records.add(r.value());
        }
      }
    }
    return records;
  }

  /** A consumer of committed records assigned every partition of the topic, at its beginning. */
  private static <V> KafkaConsumer<String, V> fromTheBeginning(final String bootstrap, final String topic,
      final Deserializer<V> values) {
    final KafkaConsumer<String, V> consumer = new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(), values);
    final List<TopicPartition> partitions = partitionsOf(consumer, topic);
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }

  /**
   * Waits until the consumer group {@code groupId} (a streams-app's application id) has committed
   * offsets at or past the end, as of this call, of every partition of {@code topics}: whatever was
   * on them now has been processed, and its output committed.
   */
  public static void awaitConsumed(final String bootstrap, final String groupId, final List<String> topics,
      final Duration deadline) throws InterruptedException {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
        KafkaConsumer<byte[], byte[]> ends = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
            new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
            new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      final List<TopicPartition> partitions = topics.stream().flatMap(t -> partitionsOf(ends, t).stream()).toList();
      final Map<TopicPartition, Long> target = ends.endOffsets(partitions);
      final long end = System.currentTimeMillis() + deadline.toMillis();
      Map<TopicPartition, Long> committed = Map.of();
      while (System.currentTimeMillis() < end) {
        try {
          committed = admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata()
              .get(10, java.util.concurrent.TimeUnit.SECONDS).entrySet().stream()
              .filter(e -> e.getValue() != null)
              .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
          // a coordinator moving (a broker killed): ask again
        }
        final Map<TopicPartition, Long> now = committed;
        if (target.entrySet().stream().allMatch(e -> e.getValue() == 0 || now.getOrDefault(e.getKey(), -1L) >= e.getValue())) {
          return;
        }
        Thread.sleep(100);
      }
      throw new IllegalStateException(groupId + " has not consumed " + target + " within " + deadline.toSeconds()
          + " s; committed " + committed);
    }
  }

  /**
   * The topic's partitions as the consumer's broker knows them, once it knows them: a topic just
   * created is known to its controller at once and to every broker of a cluster a moment later, and
   * until then a broker answers with no partitions, which assigned as they are would read nothing.
   */
  public static List<TopicPartition> partitionsOf(final org.apache.kafka.clients.consumer.Consumer<?, ?> consumer,
      final String topic) {
    final long deadline = System.currentTimeMillis() + 60_000;
    while (true) {
      final List<org.apache.kafka.common.PartitionInfo> infos = consumer.partitionsFor(topic);
      if (infos != null && !infos.isEmpty()) {
        return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("no partitions of " + topic + " known after 60 s");
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for " + topic, e);
      }
    }
  }
}
