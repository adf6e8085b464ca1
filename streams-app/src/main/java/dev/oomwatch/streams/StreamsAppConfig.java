package dev.oomwatch.streams;

import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.config.Settings;
import dev.oomwatch.detect.DetectionConfig;
import dev.oomwatch.history.HistoryConfig;
import dev.oomwatch.metrics.MetricsConfig;
import dev.oomwatch.query.QueryConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;

/** Every setting of the streams-app, typed, and the Kafka Streams properties built from them. */
public record StreamsAppConfig(
    String applicationId,
    String stateDir,
    String processingGuarantee,
    Duration commitInterval,
    int threads,
    int replicationFactor,
    boolean createTopics,
    DetectionConfig detection,
    HistoryConfig history,
    QueryConfig query,
    MetricsConfig metrics,
    KafkaSettings kafka,
    Settings settings) {

  public static final String APPLICATION_ID = "streams.application.id";
  public static final String STATE_DIR = "streams.state.dir";
  public static final String GUARANTEE = "streams.processing.guarantee";
  public static final String COMMIT_INTERVAL = "streams.commit.interval";
  public static final String THREADS = "streams.threads";
  public static final String REPLICATION = "streams.replication.factor";
  /** Any other Kafka Streams setting: streams.config.&lt;name&gt;=value. */
  public static final String PASSTHROUGH = "streams.config.";

  public static StreamsAppConfig from(final Settings settings) {
    return new StreamsAppConfig(
        settings.get(APPLICATION_ID, "oomwatch-streams"),
        settings.get(STATE_DIR, System.getProperty("java.io.tmpdir") + "/oomwatch-streams"),
        // no duplicate and no lost alert across a crash
        settings.get(GUARANTEE, StreamsConfig.EXACTLY_ONCE_V2),
        // 100 ms commits: an alert reaches the topic within 200 ms of its cause
        settings.getDuration(COMMIT_INTERVAL, Duration.ofMillis(100)),
        settings.getInt(THREADS, 1),
        settings.getInt(REPLICATION, -1),
        // false where the topics are someone else's (a principal without CREATE): only checked
        settings.getBoolean(dev.oomwatch.topics.TopicProvisioner.CREATE, true),
        DetectionConfig.from(settings),
        HistoryConfig.from(settings),
        QueryConfig.from(settings),
        MetricsConfig.from(settings, "streams", MetricsConfig.STREAMS_PORT),
        KafkaSettings.from(settings),
        settings);
  }

  /** Kafka Streams 4.x: the processing exception handler for global state too (the 5.0 default). */
  static final String GLOBAL_PROCESSING_HANDLER = "processing.exception.handler.global.enabled";

  public Properties streamsProperties() {
    final Properties props = new Properties();
    props.putAll(kafka.clientProperties(Map.of()));
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitInterval.toMillis());
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, replicationFactor);
    // No record cache: an alert is forwarded the moment it is decided, not at the next flush.
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    props.put(StreamsConfig.producerPrefix("linger.ms"), 5);
    props.put(GLOBAL_PROCESSING_HANDLER, true);
    props.put(StreamsConfig.consumerPrefix("fetch.max.wait.ms"), 50);
    // Kafka Streams' default (0) is kept on purpose: a task whose host-samples partition is empty
    // while the broker holds more waits for them rather than taking Redis samples ahead of the
    // kernel looks of the same seconds. With -1 the end-to-end kill test saw a fork's looks arrive
    // after newer Redis samples and no fork warning fired; the bench gained nothing measurable.
    props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, 0L);
    final Map<String, Object> extra = new HashMap<>();
    settings.asMap().forEach((k, v) -> {
      if (k.startsWith(PASSTHROUGH)) {
        extra.put(k.substring(PASSTHROUGH.length()), v);
      }
    });
    props.putAll(extra);
    return props;
  }
}
