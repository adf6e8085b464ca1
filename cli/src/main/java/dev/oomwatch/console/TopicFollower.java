package dev.oomwatch.console;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads one topic without a consumer group (nothing committed, nothing to clean up): every
 * partition, from the end or the beginning, until {@code max} records or {@code idleTimeout}
 * without a new one. Bytes are handed over raw so a bad record is reported, not fatal.
 */
public final class TopicFollower {
  private final Map<String, Object> clientProperties;
  private final AtomicBoolean stopped = new AtomicBoolean();

  public TopicFollower(final Map<String, Object> clientProperties) {
    this.clientProperties = clientProperties;
  }

  public void stop() {
    stopped.set(true);
  }

  /** Returns how many records were handed over. A null timeout follows forever. */
  public long follow(
      final String topic,
      final boolean fromBeginning,
      final long max,
      final Duration idleTimeout,
      final Consumer<ConsumerRecord<byte[], byte[]>> sink) {
    final Map<String, Object> props = new java.util.HashMap<>(clientProperties);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    long seen = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      final List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition()))
          .toList();
      if (partitions.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " does not exist");
      }
      consumer.assign(partitions);
      if (fromBeginning) {
        consumer.seekToBeginning(partitions);
      } else {
        consumer.seekToEnd(partitions);
      }
      long lastRecordAt = System.nanoTime();
      while (!stopped.get() && (max <= 0 || seen < max)) {
        for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          sink.accept(record);
          lastRecordAt = System.nanoTime();
          if (++seen == max) {
            break;
          }
        }
        if (idleTimeout != null && System.nanoTime() - lastRecordAt > idleTimeout.toNanos()) {
          break;
        }
      }
    } catch (org.apache.kafka.common.errors.WakeupException | org.apache.kafka.common.errors.InterruptException e) {
      // stopped from outside: a clean end
    }
    return seen;
  }
}
