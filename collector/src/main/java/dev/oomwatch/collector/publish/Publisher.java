package dev.oomwatch.collector.publish;

import dev.oomwatch.collector.CollectorMetrics;
import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.topics.Topic;
import dev.oomwatch.wire.SchemaTopic;
import dev.oomwatch.wire.Serdes;
import java.util.HashMap;
import java.util.Map;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the collector's records to Kafka, keyed by host, in the order they were taken. Samplers
 * never wait for the broker: records go into a {@link BoundedBuffer} and one sender thread hands
 * them to an idempotent producer (acks=all, retries until delivered). While the broker is away the
 * buffer holds them; when it is full the oldest samples are dropped and counted, never the process.
 */
public final class Publisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);
  private static final int BATCH = 500;
  private static final long STALL_MS = 5_000;

  private final KafkaSettings kafka;
  private final BoundedBuffer<ProducerRecord<String, byte[]>> buffer;
  private final CollectorMetrics metrics;
  private final long gatherMs;
  private final BooleanSupplier hurry;
  private final KafkaProducer<String, byte[]> producer;
  private volatile boolean schemasSent;
  private volatile boolean toldSchemas;
  private volatile long nextSchemaAttemptMs;
  private final Thread sender;
  private volatile boolean running = true;
  private boolean brokerAway;
  private volatile String cluster;

  public Publisher(final KafkaSettings kafka, final int capacity, final CollectorMetrics metrics) {
    this(kafka, capacity, Duration.ZERO, () -> true, metrics);
  }

  /**
   * {@code gather}: how long a quiet host's samples may wait to go out together; {@code hurry}
   * true (a fork running) sends each at once.
   */
  public Publisher(final KafkaSettings kafka, final int capacity, final Duration gather, final BooleanSupplier hurry,
      final CollectorMetrics metrics) {
    this.kafka = kafka;
    this.gatherMs = gather.toMillis();
    this.hurry = hurry;
    this.buffer = new BoundedBuffer<>(capacity, r -> r.value().length + (r.key() == null ? 0 : r.key().length()));
    this.metrics = metrics;
    this.producer = new KafkaProducer<>(producerProperties(kafka), new StringSerializer(), new ByteArraySerializer());
    this.sender = new Thread(this::sendLoop, "oomwatch-publisher");
    this.sender.setDaemon(true);
    this.sender.start();
  }

  static Map<String, Object> producerProperties(final KafkaSettings kafka) {
    final Map<String, Object> overrides = new HashMap<>();
    overrides.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    overrides.put(ProducerConfig.ACKS_CONFIG, "all");
    overrides.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // One request in flight per broker. With more, a first request to a partition the broker is still
    // opening (topics just created, as at a first start, where the kills before the start go out at
    // once) is refused NOT_LEADER_OR_FOLLOWER, overtaken by the next, then refused as out of order
    // for ever (KAFKA-15591), with the delivery timeout below unbounded. A collector's few records a
    // second, or an outage's backlog, go out in batches: one request at a time is plenty.
    overrides.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    // Never give up on a record handed to the producer: it retries, in order, until the broker is
    // back. A batch that expired could let a later record of the same partition overtake it.
    overrides.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
    overrides.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    overrides.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000);
    overrides.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    // A small producer-side buffer keeps the collector small; the bounded buffer holds the backlog.
    overrides.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 4 * 1024 * 1024);
    overrides.put(ProducerConfig.CLIENT_ID_CONFIG, "oomwatch-collector");
    overrides.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 2_000);
    // Client telemetry push (KIP-714) costs classes, memory and a timer on every host for figures
    // the collector already reports itself.
    overrides.put(ProducerConfig.ENABLE_METRICS_PUSH_CONFIG, false);
    final Map<String, Object> props = new HashMap<>(kafka.clientProperties(Map.of()));
    overrides.forEach(props::putIfAbsent);
    // Correctness settings are not negotiable: without them an outage could reorder or lose samples.
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return props;
  }

  /** Every record carries this in its {@code cluster} field (null: none set). */
  public Publisher stampingCluster(final String cluster) {
    this.cluster = cluster;
    return this;
  }

  /** Queues one record; {@code keep} marks records that must outlive samples when the buffer is full. */
  public void publish(final Topic topic, final String host, final SpecificRecord value, final boolean keep) {
    final org.apache.avro.Schema.Field field = cluster == null ? null : value.getSchema().getField("cluster");
    if (field != null) {
      value.put(field.pos(), cluster);
    }
    @SuppressWarnings({"unchecked", "rawtypes"})
    final byte[] bytes = ((dev.oomwatch.wire.AvroSerde) Serdes.forTopic(topic)).encode(value);
    final int dropped = buffer.offer(new ProducerRecord<>(kafka.topic(topic), host, bytes), keep);
    if (dropped > 0) {
      final long total = metrics.dropped.addAndGet(dropped);
      if (total == 1 || total % 1000 == 0) {
        LOG.warn("publish buffer is full: dropped the oldest sample ({} dropped so far)", total);
      }
    }
    metrics.buffered.set(buffer.size());
  }

  /** Grows the buffer to hold at least {@code records}. */
  public void ensureCapacity(final int records) {
    buffer.ensureCapacity(records);
  }

  /** The records waiting to be sent (and the batch in flight). */
  public int bufferedRecords() {
    return buffer.size();
  }

  public long bufferedBytes() {
    return buffer.bytes();
  }

  public long oldestBufferedAgeMs() {
    return buffer.oldestAgeMs(System.nanoTime());
  }

  private void sendLoop() {
    long backoffMs = 100;
    while (running || buffer.size() > 0) {
      if (!schemasSent && System.currentTimeMillis() >= nextSchemaAttemptMs) {
        publishSchemas();
      }
      try {
        buffer.gather(200, running ? gatherMs : 0, BATCH, hurry);
        final List<ProducerRecord<String, byte[]>> batch = buffer.take(BATCH, 0);
        if (batch.isEmpty()) {
          continue;
        }
        final boolean[] failed = send(batch);
        buffer.settle(failed);
        metrics.buffered.set(buffer.size());
        if (!anyTrue(failed)) {
          backoffMs = 100;
          brokerIsBack();
        } else if (!running) {
          return;
        } else {
          Thread.sleep(backoffMs);
          backoffMs = Math.min(backoffMs * 2, 2_000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * The schemas this collector writes, to the schemas topic, so that a streams-app older than this
   * collector reads its records (SchemaTopic). Outside the buffer: a topic that is not there (a
   * cluster provisioned by an older release) costs a second of this thread a minute, never a
   * sample.
   */
  private void publishSchemas() {
    // sent until a send fails (at once or in its callback), then tried again a minute later
    schemasSent = true;
    try {
      for (final ProducerRecord<String, byte[]> r : SchemaTopic.records(kafka.topic(Topic.SCHEMAS),
          RedisSample.class, HostSample.class, KernelEvent.class)) {
        producer.send(r, (meta, e) -> {
          if (e != null) {
            schemasNotSent(e);
          }
        });
      }
    } catch (KafkaException e) {
      schemasNotSent(e);
    }
  }

  private void schemasNotSent(final Exception e) {
    schemasSent = false;
    nextSchemaAttemptMs = System.currentTimeMillis() + 60_000;
    if (!toldSchemas) {
      toldSchemas = true;
      LOG.warn("cannot publish this collector's schemas to {} ({}); trying again every minute. Without them a "
          + "streams-app older than this collector cannot read its records", kafka.topic(Topic.SCHEMAS), e.toString());
    }
  }

  private static boolean anyTrue(final boolean[] flags) {
    for (final boolean flag : flags) {
      if (flag) {
        return true;
      }
    }
    return false;
  }

  /**
   * Sends a batch and waits for every acknowledgement; returns which records failed and should be
   * sent again. A record the broker refuses for good (too large, say) is dropped and counted, so it
   * cannot block the rest forever.
   */
  private boolean[] send(final List<ProducerRecord<String, byte[]>> batch) throws InterruptedException {
    final List<Future<RecordMetadata>> acks = new ArrayList<>(batch.size());
    for (final ProducerRecord<String, byte[]> record : batch) {
      Future<RecordMetadata> ack;
      try {
        ack = producer.send(record);
      } catch (KafkaException e) {
        ack = CompletableFuture.failedFuture(e);
      }
      acks.add(ack);
      if (ack.isDone() && failedRetriably(ack)) {
        // Typically no metadata yet: stop here, so no later record overtakes this one.
        break;
      }
    }
    final boolean[] failed = new boolean[batch.size()];
    for (int i = acks.size(); i < batch.size(); i++) {
      failed[i] = true;
    }
    for (int i = 0; i < acks.size(); i++) {
      try {
        awaitAck(acks.get(i));
        metrics.published(batch.get(i).topic());
      } catch (java.util.concurrent.TimeoutException e) {
        failed[i] = true; // closing while the broker is away: what is left stays unsent
      } catch (ExecutionException e) {
        final Throwable cause = e.getCause();
        if (cause instanceof RetriableException) {
          failed[i] = true;
          brokerIsAway(cause.getMessage());
        } else {
          metrics.dropped.incrementAndGet();
          LOG.error("Kafka refused a record for {} for good, dropped: {}", batch.get(i).topic(), cause.toString());
        }
      }
    }
    return failed;
  }

  private static boolean failedRetriably(final Future<RecordMetadata> ack) {
    try {
      ack.get();
      return false;
    } catch (ExecutionException e) {
      return e.getCause() instanceof RetriableException;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Waits for one acknowledgement, saying once when the broker stops answering; gives up only on close. */
  private void awaitAck(final Future<RecordMetadata> ack)
      throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
    while (true) {
      try {
        ack.get(STALL_MS, TimeUnit.MILLISECONDS);
        return;
      } catch (java.util.concurrent.TimeoutException e) {
        brokerIsAway("no acknowledgement for " + STALL_MS / 1000 + " s");
        if (!running) {
          throw e;
        }
      }
    }
  }

  private synchronized void brokerIsBack() {
    if (brokerAway) {
      brokerAway = false;
      LOG.info("Kafka is reachable again: sending the backlog ({} still buffered)", buffer.size());
    }
  }

  private synchronized void brokerIsAway(final String why) {
    if (!brokerAway) {
      brokerAway = true;
      LOG.warn("Kafka at {} is unreachable ({}); sampling goes on into a buffer of {} records",
          kafka.bootstrapServers(), why, buffer.size());
    }
  }

  /** Records taken but not yet acknowledged by the broker. */
  public long pending() {
    return buffer.size();
  }

  @Override
  public void close() {
    running = false;
    try {
      sender.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(java.time.Duration.ofSeconds(5));
  }
}
