package dev.oomwatch.topics;

import dev.oomwatch.config.Settings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The topics oomwatch wants, from settings: {@code topic.partitions} (default 6, enough for six
 * streams-app instances), {@code topic.replication.factor} (default -1: the broker's default),
 * {@code topic.retention.samples} (7d) and {@code topic.retention.alerts} (90d, also kernel events).
 */
public final class TopicPlan {
  public static final String PARTITIONS = "topic.partitions";
  public static final String REPLICATION = "topic.replication.factor";
  public static final String RETENTION_SAMPLES = "topic.retention.samples";
  public static final String RETENTION_ALERTS = "topic.retention.alerts";

  private TopicPlan() {}

  public static List<TopicSpec> from(final Settings settings) {
    final String prefix = settings.get("topic.prefix", Topic.DEFAULT_PREFIX);
    final int partitions = settings.getInt(PARTITIONS, 6);
    final short replication = (short) settings.getInt(REPLICATION, -1);
    final Duration samples = settings.getDuration(RETENTION_SAMPLES, Duration.ofDays(7));
    final Duration alerts = settings.getDuration(RETENTION_ALERTS, Duration.ofDays(90));
    final List<TopicSpec> specs = new ArrayList<>();
    for (final Topic topic : Topic.values()) {
      final Map<String, String> configs = new LinkedHashMap<>();
      if (topic.compacted()) {
        configs.put("cleanup.policy", "compact");
      } else {
        final Duration retention = topic.isSample() ? samples
            : topic == Topic.DEAD_LETTERS ? topic.defaultRetention() : alerts;
        configs.put("cleanup.policy", "delete");
        configs.put("retention.ms", String.valueOf(retention.toMillis()));
      }
      specs.add(new TopicSpec(topic, topic.fullName(prefix), partitions, replication, configs));
    }
    return specs;
  }

  /**
   * The specs for a cluster of {@code brokers}: a topic whose replication was left to the cluster
   * (-1) gets three replicas and {@code min.insync.replicas} 2 from three brokers on (a broker may
   * die without a write being refused or lost), else one replica per broker; a replication set
   * explicitly stays as set.
   */
  public static List<TopicSpec> forCluster(final List<TopicSpec> specs, final int brokers) {
    final List<TopicSpec> out = new ArrayList<>();
    for (final TopicSpec s : specs) {
      if (s.replicationFactor() != -1 || brokers < 1) {
        out.add(s);
        continue;
      }
      final Map<String, String> configs = new LinkedHashMap<>(s.configs());
      configs.putIfAbsent("min.insync.replicas", brokers >= 3 ? "2" : "1");
      out.add(new TopicSpec(s.topic(), s.name(), s.partitions(), (short) Math.min(3, brokers), configs));
    }
    return out;
  }

  /** Differences between an existing topic and its spec, as sentences for a warning. */
  public static List<String> drift(final TopicSpec spec, final int actualPartitions, final Map<String, String> actualConfigs) {
    final List<String> differences = new ArrayList<>();
    if (actualPartitions != spec.partitions()) {
      differences.add("partitions " + actualPartitions + " (wanted " + spec.partitions() + ")");
    }
    spec.configs().forEach((key, wanted) -> {
      final String actual = actualConfigs.get(key);
      if (actual != null && !actual.equals(wanted)) {
        differences.add(key + "=" + actual + " (wanted " + wanted + ")");
      }
    });
    return differences;
  }
}
