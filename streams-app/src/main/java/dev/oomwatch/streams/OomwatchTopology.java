package dev.oomwatch.streams;

import dev.oomwatch.alert.LiveAlert;
import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.detect.DetectionConfig;
import dev.oomwatch.detect.InstanceState;
import dev.oomwatch.history.HistoryConfig;
import dev.oomwatch.history.HistoryStores;
import dev.oomwatch.join.HostWindow;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.DeadLetter;
import dev.oomwatch.topics.Topic;
import dev.oomwatch.wire.Serdes;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The one topology, built by one method that production and tests both call. Every input is keyed
 * by host, so a host's Redis samples, kernel samples and kernel events meet on one partition and
 * one {@link DetectProcessor} with its stores (changelogged, so a crash restores them): three for
 * detection, six for the history the HTTP API serves ({@link HistoryStores}).
 */
public final class OomwatchTopology {
  public static final String HOST_WINDOWS = "host-windows";
  public static final String INSTANCES = "instances";
  public static final String LIVE_ALERTS = "live-alerts";
  static final String DECODE = "decode";
  static final String DETECT = "detect";
  static final String ALERTS_SINK = "alerts-sink";
  static final String ALERT_STATE_SINK = "alert-state-sink";
  static final String ALERTS_JSON_SINK = "alerts-json-sink";
  static final String DEAD_LETTER_SINK = "dead-letters-sink";

  private OomwatchTopology() {}

  public static Topology build(final KafkaSettings kafka, final DetectionConfig detection) {
    return build(kafka, detection, HistoryConfig.defaults());
  }

  public static Topology build(final KafkaSettings kafka, final DetectionConfig detection, final HistoryConfig history) {
    return build(kafka, detection, history, new PipelineMetrics());
  }

  public static Topology build(final KafkaSettings kafka, final DetectionConfig detection, final HistoryConfig history,
      final PipelineMetrics metrics) {
    return build(kafka, detection, history, metrics, dev.oomwatch.detect.Detectors.all());
  }

  /** With the instance detectors given: the tests' way to put a failing one among them. */
  static Topology build(final KafkaSettings kafka, final DetectionConfig detection, final HistoryConfig history,
      final PipelineMetrics metrics, final java.util.List<dev.oomwatch.detect.Detector> detectors) {
    final Topology topology = new Topology();
    final StringDeserializer keys = new StringDeserializer();
    final ByteArrayDeserializer bytes = new ByteArrayDeserializer();
    topology.addSource("redis-samples-source", keys, bytes, kafka.topic(Topic.REDIS_SAMPLES));
    topology.addSource("host-samples-source", keys, bytes, kafka.topic(Topic.HOST_SAMPLES));
    topology.addSource("kernel-events-source", keys, bytes, kafka.topic(Topic.KERNEL_EVENTS));
    topology.addProcessor(DECODE, () -> new DecodeProcessor(kafka.topicPrefix(), metrics),
        "redis-samples-source", "host-samples-source", "kernel-events-source");
    topology.addProcessor(DETECT, () -> new DetectProcessor(detection, history, metrics, detectors), DECODE);
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(HOST_WINDOWS),
        org.apache.kafka.common.serialization.Serdes.String(), new JsonSerde<>(HostWindow.class)), DETECT);
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(INSTANCES),
        org.apache.kafka.common.serialization.Serdes.String(), new JsonSerde<>(InstanceState.class)), DETECT);
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(LIVE_ALERTS),
        org.apache.kafka.common.serialization.Serdes.String(), new JsonSerde<>(LiveAlert.class)), DETECT);
    topology.addStateStore(HistoryStores.timeline(history), DETECT);
    topology.addStateStore(HistoryStores.timelineDetail(history), DETECT);
    topology.addStateStore(HistoryStores.timelineRollup(history), DETECT);
    topology.addStateStore(HistoryStores.kills(history), DETECT);
    topology.addStateStore(HistoryStores.alertEvents(history), DETECT);
    topology.addStateStore(HistoryStores.alertBoard(), DETECT);
    final Serializer<Alert> alerts = Serdes.alert().serializer();
    final Serializer<DeadLetter> letters = Serdes.deadLetter().serializer();
    topology.addSink(ALERTS_SINK, kafka.topic(Topic.ALERTS), new StringSerializer(), alerts, DETECT);
    topology.addSink(ALERT_STATE_SINK, kafka.topic(Topic.ALERT_STATE), new StringSerializer(), alerts, DETECT);
    // The same alerts as JSON text, for consumers without Avro (kcat, Kafka Connect's JsonConverter).
    topology.addSink(ALERTS_JSON_SINK, kafka.topic(Topic.ALERTS_JSON), new StringSerializer(), new StringSerializer(),
        DETECT);
    topology.addSink(DEAD_LETTER_SINK, kafka.topic(Topic.DEAD_LETTERS), new StringSerializer(), letters, DECODE);
    return topology;
  }
}
