package dev.oomwatch.collector.publish;

import dev.oomwatch.collector.kernel.KernelLogWatcher;
import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.topics.Topic;
import dev.oomwatch.wire.Serdes;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kills this host already published in the last window, read back from the kernel-events
 * topic (a few records a day per host): what a collector that starts replays from the kernel log is
 * checked against, so a restart publishes nothing twice. Bounded in time; when the brokers cannot be
 * read it says so and the replay publishes (the streams-app ignores a kill it already has).
 */
public final class PublishedKills {
  private static final Logger LOG = LoggerFactory.getLogger(PublishedKills.class);
  private static final Duration READ_FOR = Duration.ofSeconds(10);

  private PublishedKills() {}

  public static Set<String> read(final KafkaSettings kafka, final String host, final Duration window) {
    final Set<String> keys = new HashSet<>();
    final Map<String, Object> props = kafka.clientProperties(Map.of(
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.CLIENT_ID_CONFIG, "oomwatch-collector-replay-" + host));
    final String topic = kafka.topic(Topic.KERNEL_EVENTS);
    final long deadline = System.currentTimeMillis() + READ_FOR.toMillis();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      // one deadline for all of it: kills read back wait for this, and so do kills happening now
      final List<TopicPartition> partitions = consumer.partitionsFor(topic, left(deadline)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      final Map<TopicPartition, Long> since = new HashMap<>();
      partitions.forEach(p -> since.put(p, System.currentTimeMillis() - window.toMillis() - 60_000));
      final Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(since, left(deadline));
      final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, left(deadline));
      for (final TopicPartition p : partitions) {
        final OffsetAndTimestamp start = starts.get(p);
        consumer.seek(p, start == null ? ends.get(p) : start.offset());
      }
      while (System.currentTimeMillis() < deadline && !done(consumer, partitions, ends)) {
        for (final ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (host.equals(r.key())) {
            try {
              final KernelEvent event = Serdes.kernelEvent().deserializer().deserialize(topic, r.value());
              if (event.getKmsgSequence() != null) {
                keys.add(KernelLogWatcher.key(event));
              }
            } catch (RuntimeException e) {
              // a record another writer broke: the dead-letter topic keeps it; it names no kill of ours
            }
          }
        }
      }
      if (!done(consumer, partitions, ends)) {
        LOG.warn("kernel log replay: could not read {} to its end within {} s; kills read back may repeat ones "
            + "already published (the streams-app ignores a kill it already has)", topic, READ_FOR.toSeconds());
      }
    } catch (RuntimeException e) {
      LOG.warn("kernel log replay: cannot read {} ({}); kills read back may repeat ones already published "
          + "(the streams-app ignores a kill it already has)", topic, e.toString());
    }
    return keys;
  }

  private static Duration left(final long deadline) {
    return Duration.ofMillis(Math.max(1, deadline - System.currentTimeMillis()));
  }

  private static boolean done(final KafkaConsumer<String, byte[]> consumer, final List<TopicPartition> partitions,
      final Map<TopicPartition, Long> ends) {
    for (final TopicPartition p : partitions) {
      if (consumer.position(p) < ends.get(p)) {
        return false;
      }
    }
    return true;
  }
}
