package dev.oomwatch.streams;

import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.config.Settings;
import dev.oomwatch.detect.DetectionConfig;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.DeadLetter;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.topics.Topic;
import dev.oomwatch.wire.Serdes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/** The production topology (built by the same method) under TopologyTestDriver. */
final class TopologyHarness implements AutoCloseable {
  final TopologyTestDriver driver;
  final TestInputTopic<String, RedisSample> redis;
  final TestInputTopic<String, HostSample> hosts;
  final TestInputTopic<String, KernelEvent> kernel;
  final TestInputTopic<String, byte[]> rawRedis;
  final TestOutputTopic<String, Alert> alerts;
  final TestOutputTopic<String, Alert> alertState;
  final TestOutputTopic<String, DeadLetter> deadLetters;
  final TestOutputTopic<String, String> alertsJson;
  final PipelineMetrics metrics = new PipelineMetrics();

  TopologyHarness(final Map<String, String> overrides, final long wallClockStartMs) {
    this(overrides, wallClockStartMs, dev.oomwatch.detect.Detectors.all());
  }

  /** The production topology with these instance detectors; the app's handling of failed records. */
  TopologyHarness(final Map<String, String> overrides, final long wallClockStartMs,
      final java.util.List<dev.oomwatch.detect.Detector> detectors) {
    final Settings settings = Settings.of(overrides);
    final KafkaSettings kafka = KafkaSettings.from(settings);
    final Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    ProcessingDeadLetters.install(props, kafka.topic(Topic.DEAD_LETTERS), metrics);
    driver = new TopologyTestDriver(OomwatchTopology.build(kafka, DetectionConfig.from(settings),
        dev.oomwatch.history.HistoryConfig.defaults(), metrics, detectors), props,
        Instant.ofEpochMilli(wallClockStartMs));
    final StringSerializer keys = new StringSerializer();
    redis = driver.createInputTopic(kafka.topic(Topic.REDIS_SAMPLES), keys, Serdes.redisSample().serializer());
    hosts = driver.createInputTopic(kafka.topic(Topic.HOST_SAMPLES), keys, Serdes.hostSample().serializer());
    kernel = driver.createInputTopic(kafka.topic(Topic.KERNEL_EVENTS), keys, Serdes.kernelEvent().serializer());
    rawRedis = driver.createInputTopic(kafka.topic(Topic.REDIS_SAMPLES), keys, new ByteArraySerializer());
    final StringDeserializer keyReader = new StringDeserializer();
    alerts = driver.createOutputTopic(kafka.topic(Topic.ALERTS), keyReader, Serdes.alert().deserializer());
    alertState = driver.createOutputTopic(kafka.topic(Topic.ALERT_STATE), keyReader, Serdes.alert().deserializer());
    deadLetters = driver.createOutputTopic(kafka.topic(Topic.DEAD_LETTERS), keyReader, Serdes.deadLetter().deserializer());
    alertsJson = driver.createOutputTopic(kafka.topic(Topic.ALERTS_JSON), keyReader, keyReader);
  }

  TopologyHarness() {
    this(Map.of(), Series.T0);
  }

  void send(final RedisSample s) {
    redis.pipeInput(s.getHost(), s, s.getTimestampMs());
  }

  void send(final HostSample s) {
    hosts.pipeInput(s.getHost(), s, s.getTimestampMs());
  }

  void send(final KernelEvent e) {
    kernel.pipeInput(e.getHost(), e, e.getTimestampMs());
  }

  /** Any contract record, to its topic. */
  void send(final org.apache.avro.specific.SpecificRecord r) {
    if (r instanceof RedisSample s) {
      send(s);
    } else if (r instanceof HostSample s) {
      send(s);
    } else if (r instanceof KernelEvent e) {
      send(e);
    }
  }

  void advanceWallClock(final Duration d) {
    driver.advanceWallClockTime(d);
  }

  List<Alert> drain() {
    return alerts.readValuesToList();
  }

  static List<String> firing(final List<Alert> alerts) {
    return alerts.stream().filter(a -> a.getStatus() == AlertStatus.FIRING)
        .map(a -> a.getType() + "/" + a.getSeverity()).toList();
  }

  @Override
  public void close() {
    driver.close();
  }
}
