package dev.oomwatch.wire;

import dev.oomwatch.topics.Topic;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upgrade order made safe without a schema registry: every writer publishes the schemas it
 * writes to the compacted {@link Topic#SCHEMAS} topic when it starts, keyed by name and
 * fingerprint; a reader meeting a fingerprint it does not ship ({@link Reader}) reads that topic
 * and decodes with the writer's schema resolved to its own (a field added with a default is
 * skipped). So a collector upgraded before the streams-app is read, not dead-lettered.
 */
public final class SchemaTopic {
  private static final Logger LOG = LoggerFactory.getLogger(SchemaTopic.class);

  private SchemaTopic() {}

  /**
   * Publishes the current schemas of {@code types} with a producer of its own (one at a component's
   * start): said, not thrown, when the cluster does not take them within 10 s.
   */
  @SafeVarargs
  public static void publish(final Map<String, Object> clientProperties, final String topic,
      final Class<? extends SpecificRecord>... types) {
    final Map<String, Object> props = new HashMap<>(clientProperties);
    props.put(org.apache.kafka.clients.producer.ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    props.put(org.apache.kafka.clients.producer.ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
    props.put(org.apache.kafka.clients.producer.ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    props.putIfAbsent(org.apache.kafka.clients.producer.ProducerConfig.CLIENT_ID_CONFIG, "oomwatch-schemas");
    try (org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> producer =
        new org.apache.kafka.clients.producer.KafkaProducer<>(props,
            new org.apache.kafka.common.serialization.StringSerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      for (final ProducerRecord<String, byte[]> r : records(topic, types)) {
        producer.send(r).get(15, java.util.concurrent.TimeUnit.SECONDS);
      }
    } catch (KafkaException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      LOG.warn("could not publish schemas to {} ({}): a reader older than this writer will not read its records",
          topic, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Installs a {@link Reader} for this process's decoding; close what is returned to stop it. */
  public static AutoCloseable resolveFrom(final Map<String, Object> clientProperties, final String topic) {
    final Reader reader = new Reader(clientProperties, topic);
    AvroSerde.resolveUnknownSchemasWith(reader);
    return () -> {
      AvroSerde.stopResolvingWith(reader);
      reader.close();
    };
  }

  /** The records that publish the current schemas of {@code types} to {@code topic}. */
  @SafeVarargs
  public static List<ProducerRecord<String, byte[]>> records(final String topic,
      final Class<? extends SpecificRecord>... types) {
    final List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    for (final Class<? extends SpecificRecord> type : types) {
      out.add(record(topic, SpecificData.get().getSchema(type)));
    }
    return out;
  }

  /** The record that publishes {@code schema}. */
  public static ProducerRecord<String, byte[]> record(final String topic, final Schema schema) {
    final long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
    return new ProducerRecord<>(topic, schema.getFullName() + "@" + Long.toHexString(fingerprint),
        schema.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Resolves unknown fingerprints from the topic: on a miss it reads the topic to its end (a bound
   * of 10 s) and keeps every schema there; misses are looked up again at most once a second, so a
   * stream of records with a fingerprint no one published costs one read a second, not one each.
   */
  public static final class Reader implements SchemaResolver, AutoCloseable {
    private static final long RETRY_MS = 1_000;
    private final KafkaConsumer<String, byte[]> consumer;
    private final String topic;
    private final Map<Long, Schema> known = new HashMap<>();
    private List<TopicPartition> partitions;
    private long lastReadMs = Long.MIN_VALUE / 2;

    public Reader(final Map<String, Object> clientProperties, final String topic) {
      final Map<String, Object> props = new HashMap<>(clientProperties);
      props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      props.remove(ConsumerConfig.GROUP_ID_CONFIG);
      props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "oomwatch-schemas");
      this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
      this.topic = topic;
    }

    @Override
    public synchronized Optional<Schema> resolve(final long fingerprint) {
      final Schema schema = known.get(fingerprint);
      if (schema != null) {
        return Optional.of(schema);
      }
      final long now = System.currentTimeMillis();
      if (now - lastReadMs < RETRY_MS) {
        return Optional.empty();
      }
      lastReadMs = now;
      try {
        readToTheEnd(Duration.ofSeconds(10));
      } catch (KafkaException | IllegalStateException e) {
        LOG.warn("cannot read the schemas topic {}: {}", topic, e.getMessage());
      }
      return Optional.ofNullable(known.get(fingerprint));
    }

    private void readToTheEnd(final Duration bound) {
      if (partitions == null) {
        final List<PartitionInfo> infos = consumer.partitionsFor(topic, bound);
        if (infos == null || infos.isEmpty()) {
          throw new IllegalStateException("no partitions (is it provisioned?)");
        }
        partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toList());
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
      }
      final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, bound);
      final long deadline = System.currentTimeMillis() + bound.toMillis();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))
          && System.currentTimeMillis() < deadline) {
        for (final ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.value() == null) {
            continue;
          }
          try {
            final Schema s = new Schema.Parser().parse(new String(r.value(), StandardCharsets.UTF_8));
            known.put(SchemaNormalization.parsingFingerprint64(s), s);
          } catch (RuntimeException e) {
            LOG.warn("the schemas topic holds a record that is not an Avro schema (key {}): {}", r.key(), e.getMessage());
          }
        }
      }
    }

    @Override
    public synchronized void close() {
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
