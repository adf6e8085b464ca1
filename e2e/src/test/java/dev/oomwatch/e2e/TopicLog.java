package dev.oomwatch.e2e;

import dev.oomwatch.testkit.TopicRecords;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Follows one topic in the background from its beginning, stamping each record with its arrival. */
final class TopicLog<V> implements AutoCloseable {
  /** A record and the wall-clock time this consumer received it. */
  record Arrived<V>(V value, long arrivedAtMs) {}

  private final List<Arrived<V>> records = new ArrayList<>();
  private final String bootstrap;
  private final String topic;
  /** The consumer's position in each partition after its last poll. */
  private final Map<TopicPartition, Long> positions = new java.util.concurrent.ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean running = true;
  /** Why the following thread ended, if it did: every read then fails with it, not with a timeout. */
  private volatile RuntimeException failure;

  TopicLog(final String bootstrap, final String topic, final Deserializer<V> values) {
    this.bootstrap = bootstrap;
    this.topic = topic;
    thread = new Thread(() -> {
      try {
        follow(bootstrap, topic, values);
      } catch (RuntimeException e) {
        failure = e;
      }
    }, "log-" + topic);
    thread.setDaemon(true);
    thread.start();
  }

  private void follow(final String bootstrap, final String topic, final Deserializer<V> values) {
    try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50), new StringDeserializer(), values)) {
      final List<TopicPartition> partitions = TopicRecords.partitionsOf(consumer, topic);
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (running) {
        for (final ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(50))) {
          synchronized (records) {
            records.add(new Arrived<>(r.value(), System.currentTimeMillis()));
            records.notifyAll();
          }
        }
        for (final TopicPartition p : partitions) {
          positions.put(p, consumer.position(p));
        }
      }
    }
  }

  private void checkFollowing() {
    if (failure != null) {
      throw new AssertionError("the log of " + topic + " stopped following it: " + failure, failure);
    }
  }

  List<Arrived<V>> all() {
    checkFollowing();
    synchronized (records) {
      return new ArrayList<>(records);
    }
  }

  /** Waits until {@code done} holds for the records so far, or the deadline; returns them. */
  List<Arrived<V>> await(final Predicate<List<V>> done, final Duration deadline) throws InterruptedException {
    final long end = System.currentTimeMillis() + deadline.toMillis();
    synchronized (records) {
      while (System.currentTimeMillis() < end && !done.test(records.stream().map(Arrived::value).toList())) {
        checkFollowing();
        records.wait(Math.max(1, Math.min(200, end - System.currentTimeMillis())));
      }
      return new ArrayList<>(records);
    }
  }

  /** As {@link #await}, failing with {@code what} when {@code done} does not hold by the deadline. */
  List<Arrived<V>> awaitOrFail(final Predicate<List<V>> done, final Duration deadline, final String what)
      throws InterruptedException {
    final List<Arrived<V>> records = await(done, deadline);
    if (!done.test(records.stream().map(Arrived::value).toList())) {
      throw new AssertionError("no " + what + " within " + deadline.toSeconds() + " s");
    }
    return records;
  }

  /**
   * Waits until this log holds every record on the topic at the moment of the call (its end offsets,
   * committed transactions only): for counting once the producers are done, instead of a pause.
   */
  List<Arrived<V>> awaitCaughtUp(final Duration deadline) throws InterruptedException {
    final Map<TopicPartition, Long> ends;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      ends = consumer.endOffsets(TopicRecords.partitionsOf(consumer, topic));
    }
    final long end = System.currentTimeMillis() + deadline.toMillis();
    while (!ends.entrySet().stream().allMatch(e -> positions.getOrDefault(e.getKey(), 0L) >= e.getValue())) {
      checkFollowing();
      if (System.currentTimeMillis() > end) {
        throw new IllegalStateException(topic + " not followed to " + ends + " within " + deadline.toSeconds()
            + " s (at " + positions + ")");
      }
      Thread.sleep(20);
    }
    return all();
  }

  @Override
  public void close() {
    running = false;
  }
}
