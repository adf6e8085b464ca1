package dev.oomwatch.alertmanager;

import dev.oomwatch.metrics.MetricsEndpoint;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.topics.Topic;
import dev.oomwatch.wire.AvroSerde;
import dev.oomwatch.wire.Serdes;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds Alertmanager from the compacted {@code alert-state} topic.
 *
 * <p>At start it reads the topic from its beginning: the latest word on every key is what fires
 * now ({@link FiringSet}), and it is sent at once, so a restarted bridge forgets nothing firing;
 * an event past the group's committed offset (not known to have been accepted) is sent too, so a
 * RESOLVED that was read but not delivered before a crash still ends its alert, while older
 * RESOLVED ones are not sent again. Then every new event is sent as it comes, and the group's
 * offsets are committed only after an Alertmanager accepted it; while none does, it retries with
 * backoff (1 s doubling to {@code alertmanager.retry.max}, 30 s) and reads nothing new. Firing alerts are sent again every
 * {@code alertmanager.resend}, each with an {@code endsAt} four resends ahead, so Alertmanager
 * keeps them firing while the bridge lives and resolves them if it stays away.
 */
public final class AlertmanagerBridge implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AlertmanagerBridge.class);

  private final AlertmanagerConfig config;
  private final AlertmanagerClient client;
  private final AvroSerde<Alert> serde = Serdes.alert();
  private final FiringSet firing = new FiringSet();
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final LongAdder sent = new LongAdder();
  private final LongAdder resolvedSent = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final LongAdder undecodable = new LongAdder();
  private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
  private final AtomicLong lastDeliveredMs = new AtomicLong();
  private volatile int firingCount;
  private volatile boolean running = true;
  private final CountDownLatch stopping = new CountDownLatch(1);
  private volatile KafkaConsumer<String, byte[]> consumer;
  private Thread thread;
  private MetricsEndpoint metrics;
  private String lastFailure;

  private AlertmanagerBridge(final AlertmanagerConfig config) {
    if (config.urls().isEmpty()) {
      throw new IllegalArgumentException("no Alertmanager: give --url (alertmanager.urls)");
    }
    this.config = config;
    this.client = new AlertmanagerClient(config);
  }

  private AutoCloseable schemas;

  public static AlertmanagerBridge start(final AlertmanagerConfig config) {
    final AlertmanagerBridge bridge = new AlertmanagerBridge(config);
    // alerts of a streams-app newer than this bridge: their schema from the schemas topic
    bridge.schemas = dev.oomwatch.wire.SchemaTopic.resolveFrom(config.kafka().clientProperties(Map.of()),
        config.kafka().topic(Topic.SCHEMAS));
    // /healthz for the kubelet's liveness probe: the loop that delivers still runs (once started)
    bridge.metrics = MetricsEndpoint.serve(config.metrics(), bridge.prometheus(),
        () -> bridge.thread == null || bridge.thread.isAlive() ? new MetricsEndpoint.Health(true, "delivering")
            : new MetricsEndpoint.Health(false, "the delivery loop stopped"));
    bridge.thread = new Thread(bridge::run, "oomwatch-alertmanager");
    bridge.thread.start();
    LOG.info("sending the alerts of {} to Alertmanager {} (re-sent every {})",
        config.kafka().topic(Topic.ALERT_STATE),
        config.urls().stream().map(AlertmanagerConfig::printable).toList(), config.resend());
    return bridge;
  }

  private void run() {
    try (KafkaConsumer<String, byte[]> consumer = consumer()) {
      this.consumer = consumer;
      if (!running) {
        return;
      }
      final List<TopicPartition> partitions = partitions(consumer);
      if (partitions.isEmpty()) {
        return;
      }
      consumer.assign(partitions);
      final Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new java.util.HashSet<>(partitions));
      consumer.seekToBeginning(partitions);
      final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      final Map<String, Alert> unconfirmed = new LinkedHashMap<>();
      while (running && !reached(consumer, end)) {
        for (final ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          final OffsetAndMetadata done = committed.get(new TopicPartition(record.topic(), record.partition()));
          final boolean delivered = done == null || record.offset() < done.offset();
          final Map<String, Alert> ended = new LinkedHashMap<>();
          final Alert alert = take(record, ended);
          if (!delivered) {
            unconfirmed.put(record.key(), alert);
            unconfirmed.putAll(ended);
          }
        }
      }
      // what fires, and the events not known to have been delivered (a RESOLVED among them ends its alert)
      final Map<String, Alert> first = new LinkedHashMap<>();
      unconfirmed.forEach((key, alert) -> {
        if (alert != null && alert.getStatus() == AlertStatus.RESOLVED) {
          first.put(key, alert);
        }
      });
      firing.firing().forEach(a -> first.put(key(a), a));
      LOG.info("Alertmanager bridge: {} alert(s) firing, {} resolved not confirmed delivered; sending them",
          firing.size(), first.size() - firing.size());
      deliver(first.values());
      consumer.commitSync(positions(consumer, partitions));
      caughtUp.countDown();
      long lastResendMs = System.currentTimeMillis();
      while (running) {
        final Map<String, Alert> batch = new LinkedHashMap<>();
        for (final ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          final Map<String, Alert> ended = new LinkedHashMap<>();
          final Alert alert = take(record, ended);
          batch.putAll(ended);
          if (alert != null) {
            batch.remove(record.key());
            batch.put(record.key(), alert);
          }
        }
        if (!batch.isEmpty()) {
          deliver(batch.values());
          consumer.commitSync(positions(consumer, partitions));
        }
        if (System.currentTimeMillis() - lastResendMs >= config.resend().toMillis()) {
          deliver(firing.firing());
          lastResendMs = System.currentTimeMillis();
        }
      }
    } catch (org.apache.kafka.common.errors.InterruptException | org.apache.kafka.common.errors.WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("the Alertmanager bridge stopped: {}", e.toString(), e);
    } finally {
      caughtUp.countDown();
    }
  }

  /**
   * Applies one record to the firing set; the alert, or null for a tombstone or a record that
   * cannot be read. An alert ended under its old severity's labels goes into {@code ended}.
   */
  private Alert take(final ConsumerRecord<String, byte[]> record, final Map<String, Alert> ended) {
    Alert alert = null;
    if (record.value() != null) {
      try {
        alert = serde.decode(record.topic(), record.value());
      } catch (SerializationException e) {
        undecodable.increment();
        LOG.warn("{}/{}@{} is not an alert and is skipped: {}", record.topic(), record.partition(), record.offset(),
            e.getMessage());
        return null;
      }
    }
    final Alert superseded = firing.apply(record.key(), alert);
    if (superseded != null) {
      ended.put(record.key() + "|" + superseded.getSeverity(), superseded);
    }
    firingCount = firing.size();
    return alert;
  }

  /** Sends until an Alertmanager accepts (or all refuse the alerts themselves), backing off between tries. */
  private void deliver(final Collection<Alert> alerts) {
    if (alerts.isEmpty()) {
      return;
    }
    long backoffMs = 1_000;
    while (running) {
      final String json = AlertmanagerPayload.toJson(alerts, System.currentTimeMillis(),
          config.endsAtAhead().toMillis(), config.pageUrl(), config.extras()).toString();
      final AlertmanagerClient.Outcome outcome = client.post(json);
      outcome.failedAlertmanagers().forEach(who -> failures.computeIfAbsent(who, k -> new LongAdder()).increment());
      if (outcome.delivered() || outcome.refused()) {
        if (outcome.refused()) {
          rejected.add(alerts.size());
          LOG.error("Alertmanager refused {} alert(s), which are not sent again: {}", alerts.size(), outcome.rejected());
        } else {
          alerts.forEach(a -> (a.getStatus() == AlertStatus.RESOLVED ? resolvedSent : sent).increment());
          lastDeliveredMs.set(System.currentTimeMillis());
        }
        final String failure = outcome.failed().isEmpty() ? null : outcome.failed().toString();
        if (lastFailure != null && failure == null) {
          LOG.info("Alertmanager accepts alerts again");
        } else if (failure != null && !failure.equals(lastFailure)) {
          LOG.warn("an Alertmanager of the cluster did not take the alerts (another did): {}", failure);
        }
        lastFailure = failure;
        return;
      }
      final String failure = outcome.failed().toString();
      if (!failure.equals(lastFailure)) {
        LOG.warn("no Alertmanager took {} alert(s); retrying with backoff, nothing new is read meanwhile: {}",
            alerts.size(), failure);
      }
      lastFailure = failure;
      sleep(backoffMs);
      backoffMs = Math.min(config.retryMax().toMillis(), backoffMs * 2);
    }
  }

  /** Waits, or less if the bridge is closing. */
  private void sleep(final long ms) {
    try {
      stopping.await(ms, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  private KafkaConsumer<String, byte[]> consumer() {
    final Map<String, Object> props = config.kafka().clientProperties(Map.of(
        ConsumerConfig.GROUP_ID_CONFIG, config.groupId(),
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        // only what the streams-app committed: an aborted alert never reaches a pager
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.CLIENT_ID_CONFIG, "oomwatch-alertmanager"));
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** Waits for the topic (the streams-app creates it), logging once. */
  private List<TopicPartition> partitions(final KafkaConsumer<String, byte[]> consumer) {
    final String topic = config.kafka().topic(Topic.ALERT_STATE);
    boolean said = false;
    while (running) {
      try {
        final List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
        if (infos != null && !infos.isEmpty()) {
          final List<TopicPartition> out = new ArrayList<>();
          infos.forEach(i -> out.add(new TopicPartition(i.topic(), i.partition())));
          return out;
        }
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        // the broker is away: keep asking
      }
      if (!said) {
        LOG.warn("waiting for topic {} (the streams-app creates it)", topic);
        said = true;
      }
      sleep(1_000);
    }
    return List.of();
  }

  private static boolean reached(final KafkaConsumer<String, byte[]> consumer, final Map<TopicPartition, Long> end) {
    for (final Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static Map<TopicPartition, OffsetAndMetadata> positions(final KafkaConsumer<String, byte[]> consumer,
      final List<TopicPartition> partitions) {
    final Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    partitions.forEach(tp -> out.put(tp, new OffsetAndMetadata(consumer.position(tp))));
    return out;
  }

  private static String key(final Alert a) {
    return a.getHost() + "|" + (a.getInstance() == null ? "" : a.getInstance()) + "|" + a.getType();
  }

  private PrometheusRegistry prometheus() {
    final PrometheusRegistry registry = MetricsEndpoint.newRegistry();
    CounterWithCallback.builder().name("oomwatch_alertmanager_alerts_sent_total")
        .help("Alerts an Alertmanager accepted, by status (firing ones count again at each resend).")
        .labelNames("status")
        .callback(cb -> {
          cb.call(sent.sum(), "firing");
          cb.call(resolvedSent.sum(), "resolved");
        }).register(registry);
    CounterWithCallback.builder().name("oomwatch_alertmanager_rejected_total")
        .help("Alerts every Alertmanager refused (4xx); they are not sent again.")
        .callback(cb -> cb.call(rejected.sum())).register(registry);
    CounterWithCallback.builder().name("oomwatch_alertmanager_post_failures_total")
        .help("Posts an Alertmanager did not take (unreachable, 5xx), by Alertmanager.")
        .labelNames("alertmanager")
        .callback(cb -> failures.forEach((who, n) -> cb.call(n.sum(), who))).register(registry);
    CounterWithCallback.builder().name("oomwatch_alertmanager_undecodable_total")
        .help("alert-state records that were not alerts, skipped.")
        .callback(cb -> cb.call(undecodable.sum())).register(registry);
    GaugeWithCallback.builder().name("oomwatch_alertmanager_firing")
        .help("Alerts firing, as the bridge keeps sending them.")
        .callback(cb -> cb.call(firingCount)).register(registry);
    GaugeWithCallback.builder().name("oomwatch_alertmanager_last_delivery_timestamp_seconds")
        .help("When an Alertmanager last accepted alerts (0: never).")
        .callback(cb -> cb.call(lastDeliveredMs.get() / 1000.0)).register(registry);
    return registry;
  }

  /** Waits until the firing set is rebuilt and sent (or the bridge stopped). */
  public boolean awaitCaughtUp(final Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public int firingCount() {
    return firingCount;
  }

  public java.util.Optional<String> metricsUrl() {
    return metrics.url();
  }

  @Override
  public void close() {
    running = false;
    stopping.countDown();
    final KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup(); // out of a poll; no interrupt, so the consumer closes cleanly
    }
    if (thread != null) {
      try {
        thread.join(15_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      schemas.close();
    } catch (Exception e) {
      LOG.warn("closing the schemas reader: {}", e.toString());
    }
    metrics.close();
  }
}
