package dev.oomwatch.archive;

import dev.oomwatch.wire.AvroSerde;
import dev.oomwatch.wire.Serdes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import dev.oomwatch.metrics.MetricsEndpoint;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every record of the sample, kernel-event and alert topics as Parquet, exactly once. Records
 * are buffered per Kafka partition and per hour; a roll writes each buffer to its own file, named
 * with the partition and the roll's first and last offset, and only then records the partition's
 * progress in the archive (and commits it to the consumer group, for lag monitoring). A crash
 * before that leaves files whose first offset is at or past the recorded progress: on
 * (re)assignment those are deleted and their records read again, so none is lost or kept twice.
 */
public final class Archiver implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Archiver.class);

  private final ArchiveConfig config;
  private final ArchiveLayout layout;
  private final ParquetFiles parquet;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Map<String, ArchiveType> byTopic = new HashMap<>();
  private final Map<TopicPartition, Pending> pending = new LinkedHashMap<>();
  private final AtomicLong archived = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  private final AtomicLong filesWritten = new AtomicLong();
  /** records-lag per partition, copied from the consumer on its own thread (it is not thread-safe). */
  private volatile Map<TopicPartition, Double> lag = Map.of();
  private MetricsEndpoint metricsEndpoint;
  private long firstBufferedMs = -1;
  private int buffered;
  private volatile boolean running = true;
  private Thread thread;
  private volatile RuntimeException failure;

  /** Starts archiving on its own thread. */
  public static Archiver start(final ArchiveConfig config) throws SQLException {
    final Archiver archiver = new Archiver(config);
    // records of writers newer than this archiver: their schemas from the schemas topic
    archiver.schemas = dev.oomwatch.wire.SchemaTopic.resolveFrom(config.kafka().clientProperties(Map.of()),
        config.kafka().topic(dev.oomwatch.topics.Topic.SCHEMAS));
    archiver.thread = new Thread(() -> {
      try {
        archiver.loop();
      } catch (RuntimeException e) {
        archiver.failure = e;
        LOG.error("the archiver stopped: {}", e.toString(), e);
      }
    }, "oomwatch-archive");
    archiver.thread.start();
    // /healthz for the kubelet's liveness probe: the loop that archives still runs
    archiver.metricsEndpoint = MetricsEndpoint.serve(config.metrics(), archiver.prometheus(),
        () -> archiver.thread.isAlive() ? new MetricsEndpoint.Health(true, "archiving")
            : new MetricsEndpoint.Health(false, "the archive loop stopped"));
    return archiver;
  }

  private AutoCloseable schemas;

  private Archiver(final ArchiveConfig config) throws SQLException {
    this.config = config;
    this.layout = new ArchiveLayout(config.dir());
    this.parquet = new ParquetFiles();
    for (final ArchiveType type : ArchiveType.values()) {
      byTopic.put(config.kafka().topic(type.topic()), type);
    }
    final Map<String, Object> props = config.kafka().clientProperties(Map.of(
        ConsumerConfig.GROUP_ID_CONFIG, config.groupId(),
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        // only what the producers committed: an aborted record would otherwise be archived
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.CLIENT_ID_CONFIG, "oomwatch-archive"));
    this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** A record of one partition waiting for the next roll, by the folder of its hour. */
  private static final class Pending {
    final ArchiveType type;
    final int partition;
    final long first;
    long last;
    final Map<Path, List<String>> rows = new LinkedHashMap<>();

    Pending(final ArchiveType type, final int partition, final long first) {
      this.type = type;
      this.partition = partition;
      this.first = first;
    }
  }

  private void loop() {
    consumer.subscribe(byTopic.keySet(), new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(final Collection<TopicPartition> partitions) {
        // another archiver takes these over: what was read of them is written and committed first
        rollOrFail();
      }

      @Override
      public void onPartitionsAssigned(final Collection<TopicPartition> partitions) {
        partitions.forEach(Archiver.this::resumeCleanly);
      }
    });
    LOG.info("archiving {} into {} (roll every {} or {} records)", byTopic.keySet(), config.dir().toAbsolutePath(),
        config.rollInterval(), config.rollRecords());
    try {
      while (running) {
        for (final ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          add(record);
        }
        lag = lagOf(consumer);
        if (buffered > 0 && (buffered >= config.rollRecords()
            || System.currentTimeMillis() - firstBufferedMs >= config.rollInterval().toMillis())) {
          rollOrPause();
        }
      }
      if (buffered > 0) {
        rollOrFail();
      }
    } catch (WakeupException e) {
      if (running) {
        throw e;
      }
      if (buffered > 0) {
        rollOrFail();
      }
    } finally {
      consumer.close();
      LOG.info("archive stopped: {} records in {} files, {} malformed skipped", archived.get(), filesWritten.get(),
          malformed.get());
    }
  }

  private void add(final ConsumerRecord<String, byte[]> record) {
    final ArchiveType type = byTopic.get(record.topic());
    final TopicPartition tp = new TopicPartition(record.topic(), record.partition());
    final Pending p = pending.computeIfAbsent(tp, k -> new Pending(type, record.partition(), record.offset()));
    p.last = record.offset();
    if (firstBufferedMs < 0) {
      firstBufferedMs = System.currentTimeMillis();
    }
    buffered++;
    try {
      @SuppressWarnings("unchecked")
      final AvroSerde<SpecificRecord> serde = (AvroSerde<SpecificRecord>) Serdes.forTopic(type.topic());
      final ArchiveRow row = ArchiveRow.of(type, serde.decode(record.topic(), record.value()), record.partition(),
          record.offset(), record.timestamp());
      p.rows.computeIfAbsent(layout.dir(type, row.timeMs()), d -> new ArrayList<>()).add(row.json());
    } catch (RuntimeException e) {
      // The streams-app's dead-letter topic keeps the bytes; here the offset simply moves on.
      final long n = malformed.incrementAndGet();
      if (n == 1 || n % 1000 == 0) {
        LOG.warn("skipping a malformed record at {}@{} ({} so far): {}", tp, record.offset(), n, e.getMessage());
      }
    }
  }

  /** A failed roll (disk full, say) stops reading until it succeeds: nothing read is dropped. */
  private void rollOrPause() {
    try {
      roll();
      if (!consumer.paused().isEmpty()) {
        LOG.info("archive writes again; reading resumes");
        consumer.resume(consumer.paused());
      }
    } catch (IOException | SQLException e) {
      LOG.error("cannot write the archive ({}); reading paused, retrying in 5 s", e.getMessage());
      consumer.pause(consumer.assignment());
      sleep(5_000);
    }
  }

  private void rollOrFail() {
    try {
      roll();
    } catch (IOException | SQLException e) {
      throw new IllegalStateException("cannot write the archive: " + e.getMessage(), e);
    }
  }

  private void roll() throws IOException, SQLException {
    final Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
    int files = 0;
    int rows = 0;
    for (final Map.Entry<TopicPartition, Pending> e : pending.entrySet()) {
      final Pending p = e.getValue();
      for (final Map.Entry<Path, List<String>> dir : p.rows.entrySet()) {
        parquet.write(p.type, dir.getValue(), dir.getKey().resolve(ArchiveLayout.fileName(p.partition, p.first, p.last)));
        files++;
        rows += dir.getValue().size();
      }
      // The commit point: this partition's files are all in place, its progress moves past them.
      layout.saveProgress(e.getKey().topic(), p.partition, p.last + 1);
      commit.put(e.getKey(), new OffsetAndMetadata(p.last + 1));
    }
    consumer.commitSync(commit);
    archived.addAndGet(rows);
    filesWritten.addAndGet(files);
    LOG.debug("rolled {} rows into {} files", rows, files);
    pending.clear();
    buffered = 0;
    firstBufferedMs = -1;
  }

  /** Before reading a partition: delete what an uncommitted roll of it left behind, and start after the rest. */
  private void resumeCleanly(final TopicPartition tp) {
    final ArchiveType type = byTopic.get(tp.topic());
    for (final Path leftover : layout.leftovers(type)) {
      delete(leftover);
    }
    final OptionalLong progress = layout.progress(tp.topic(), tp.partition());
    final long next = progress.orElse(0);
    for (final ArchiveLayout.Part part : layout.parts(type)) {
      if (part.partition() == tp.partition() && part.first() >= next) {
        LOG.info("{}: removing {}, written after the archive's last commit (its records are read again)", tp,
            part.file());
        delete(part.file());
      }
    }
    if (progress.isPresent()) {
      consumer.seek(tp, next);
    } else {
      consumer.seekToBeginning(java.util.List.of(tp));
    }
  }

  private static void delete(final Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new IllegalStateException("cannot remove " + file + ": " + e.getMessage(), e);
    }
  }

  private static void sleep(final long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private PrometheusRegistry prometheus() {
    final PrometheusRegistry registry = MetricsEndpoint.newRegistry();
    CounterWithCallback.builder().name("oomwatch_archive_rows_total").help("Records written to Parquet files.")
        .callback(cb -> cb.call(archived.get())).register(registry);
    CounterWithCallback.builder().name("oomwatch_archive_malformed_total")
        .help("Records that could not be decoded and were left out of the archive.")
        .callback(cb -> cb.call(malformed.get())).register(registry);
    CounterWithCallback.builder().name("oomwatch_archive_files_total").help("Parquet files written.")
        .callback(cb -> cb.call(filesWritten.get())).register(registry);
    GaugeWithCallback.builder().name("oomwatch_archive_lag_records")
        .help("Records of each partition not archived yet (read, or waiting for the next roll, count as archived only once written).")
        .labelNames("topic", "partition")
        .callback(cb -> lag.forEach((tp, n) -> cb.call(n, tp.topic(), String.valueOf(tp.partition()))))
        .register(registry);
    return registry;
  }

  private static Map<TopicPartition, Double> lagOf(final KafkaConsumer<?, ?> consumer) {
    final Map<TopicPartition, Double> out = new HashMap<>();
    consumer.metrics().forEach((name, metric) -> {
      if ("records-lag".equals(name.name()) && name.tags().containsKey("partition")
          && metric.metricValue() instanceof Number n && !Double.isNaN(n.doubleValue())) {
        out.put(new TopicPartition(name.tags().get("topic"), Integer.parseInt(name.tags().get("partition"))),
            n.doubleValue());
      }
    });
    return out;
  }

  /** Where /metrics is served, when it is. */
  public java.util.Optional<String> metricsUrl() {
    return metricsEndpoint == null ? java.util.Optional.empty() : metricsEndpoint.url();
  }

  public long archived() {
    return archived.get();
  }

  public long malformed() {
    return malformed.get();
  }

  /** Waits until the archiver stops (closed, or failed); true when it stopped cleanly. */
  public boolean awaitStopped() throws InterruptedException {
    thread.join();
    return failure == null;
  }

  /** Writes and commits what was read, then stops. */
  @Override
  public void close() {
    if (metricsEndpoint != null) {
      metricsEndpoint.close();
    }
    if (schemas != null) {
      try {
        schemas.close();
      } catch (Exception e) {
        LOG.warn("closing the schemas reader: {}", e.toString());
      }
    }
    running = false;
    consumer.wakeup();
    try {
      thread.join(60_000);
      parquet.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SQLException e) {
      LOG.warn("closing the Parquet writer: {}", e.getMessage());
    }
  }
}
