package dev.oomwatch.e2e;

import dev.oomwatch.collector.Collector;
import dev.oomwatch.collector.CollectorConfig;
import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.streams.StreamsApp;
import dev.oomwatch.streams.StreamsAppConfig;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.wire.Serdes;
import dev.oomwatch.testkit.TopicRecords;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The whole of oomwatch for a test: a real broker (container or in-process), the real
 * streams-app, and a real collector per scenario, with the alerts and kernel-events topics
 * followed in the background.
 */
final class Pipeline implements AutoCloseable {
  static final String HOST = "e2e-host";

  final KafkaBackend kafka;
  final StreamsApp streams;
  final TopicLog<Alert> alerts;
  final TopicLog<KernelEvent> kernelEvents;
  /** The raw samples, kept so a failed scenario can print what the pipeline was given. */
  final TopicLog<RedisSample> redisSamples;
  final TopicLog<HostSample> hostSamples;
  private final Settings settings;

  Pipeline(final Path dir) throws InterruptedException {
    this(dir, Map.of());
  }

  /** With these settings over the defaults below, for the streams-app and every collector. */
  Pipeline(final Path dir, final Map<String, String> overrides) throws InterruptedException {
    this(dir, overrides, TestBackends.kafka(dir.resolve("kafka")));
  }

  /** On the given Kafka (a cluster for the fault tests). */
  Pipeline(final Path dir, final Map<String, String> overrides, final KafkaBackend kafka) throws InterruptedException {
    this.kafka = kafka;
    final Map<String, String> values = new HashMap<>();
    values.put("kafka.bootstrap.servers", kafka.bootstrapServers());
    values.put("topic.partitions", "1");
    values.put("host.id", HOST);
    values.put("streams.state.dir", dir.resolve("streams").toString());
    values.put("sample.interval", "500ms");
    values.put("http.port", "0");
    // every process's /metrics on a port of its own choosing: tests run side by side
    values.put("collector.metrics.port", "0");
    values.put("streams.metrics.port", "0");
    values.put("archive.metrics.port", "0");
    values.put("alertmanager.metrics.port", "0");
    values.putAll(overrides);
    settings = Settings.of(values);
    streams = StreamsApp.start(StreamsAppConfig.from(settings)).awaitRunning(Duration.ofSeconds(90));
    alerts = new TopicLog<>(kafka.bootstrapServers(), "oomwatch.alerts", Serdes.alert().deserializer());
    kernelEvents = new TopicLog<>(kafka.bootstrapServers(), "oomwatch.kernel-events", Serdes.kernelEvent().deserializer());
    redisSamples = new TopicLog<>(kafka.bootstrapServers(), "oomwatch.redis-samples", Serdes.redisSample().deserializer());
    hostSamples = new TopicLog<>(kafka.bootstrapServers(), "oomwatch.host-samples", Serdes.hostSample().deserializer());
  }

  /**
   * Waits until the streams-app has processed and committed every record on its input topics as of
   * this call, and the alerts log holds all it wrote: "no alert of this kind" can be asserted then,
   * where a pause only hopes the alert would have come by.
   */
  void awaitProcessed() throws InterruptedException {
    TopicRecords.awaitConsumed(kafka.bootstrapServers(), StreamsAppConfig.from(settings).applicationId(),
        dev.oomwatch.topics.Topic.inputNames(dev.oomwatch.topics.Topic.DEFAULT_PREFIX), Duration.ofSeconds(120));
    alerts.awaitCaughtUp(Duration.ofSeconds(60));
  }

  Settings settings() {
    return settings;
  }

  /** A collector for this host watching the given Redis URIs. */
  Collector collector(final String... uris) {
    return collector(Map.of("redis.uris", String.join(",", uris)));
  }

  /** A collector for this host with these settings over the pipeline's own. */
  Collector collector(final Map<String, String> overrides) {
    return Collector.start(CollectorConfig.from(settings.with(overrides)));
  }

  @Override
  public void close() {
    alerts.close();
    kernelEvents.close();
    redisSamples.close();
    hostSamples.close();
    streams.close();
    kafka.close();
  }
}
