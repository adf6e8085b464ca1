package dev.oomwatch.streams;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The streams-app for Prometheus: its health (records, dead letters, alert events, lag, flushes)
 * and, per instance its tasks hold, the joined figures the timeline page draws, labelled cluster,
 * host, instance, pod and namespace so they chart beside everything else in Grafana.
 */
final class StreamsPrometheus {
  private StreamsPrometheus() {}

  private record Figure(String name, String help, Function<PipelineMetrics.InstanceFigures, Number> value) {}

  private static final Figure[] FIGURES = {
      new Figure("oomwatch_instance_used_memory_bytes", "Redis's used_memory (its logical figure).",
          PipelineMetrics.InstanceFigures::usedMemory),
      new Figure("oomwatch_instance_rss_bytes", "Redis's used_memory_rss.", PipelineMetrics.InstanceFigures::usedMemoryRss),
      new Figure("oomwatch_instance_physical_bytes",
          "Physical memory the kernel counts against the limit: the cgroup's usage (with the pod's other containers when the pod holds the limit), else the server's and its fork child's RSS.",
          PipelineMetrics.InstanceFigures::physical),
      new Figure("oomwatch_instance_working_set_bytes", "The cgroup's working set (usage minus inactive file pages), as the kubelet computes it.",
          PipelineMetrics.InstanceFigures::workingSet),
      new Figure("oomwatch_instance_limit_bytes", "The smallest memory limit on the instance's cgroup path, else the host's RAM.",
          PipelineMetrics.InstanceFigures::limit),
      new Figure("oomwatch_instance_headroom_bytes", "Limit minus physical memory.", PipelineMetrics.InstanceFigures::headroom),
      new Figure("oomwatch_instance_last_fork_cow_bytes", "Copy-on-write of the last completed fork (rdb or aof).",
          PipelineMetrics.InstanceFigures::lastCowSize),
      new Figure("oomwatch_instance_safe_maxmemory_bytes",
          "The largest maxmemory that survives the instance's worst observed fork under its current limit (GET /api/sizing says from what).",
          PipelineMetrics.InstanceFigures::safeMaxmemory),
      new Figure("oomwatch_instance_needed_limit_bytes",
          "The memory limit the instance's current data needs at its worst observed fork.",
          PipelineMetrics.InstanceFigures::neededLimit),
  };

  static void register(final PrometheusRegistry registry, final PipelineMetrics m, final Supplier<KafkaStreams> streams,
      final long staleMs) {
    CounterWithCallback.builder().name("oomwatch_streams_records_total")
        .help("Records read, by input topic.").labelNames("topic")
        .callback(cb -> m.records.forEach((topic, n) -> cb.call(n.sum(), topic))).register(registry);
    CounterWithCallback.builder().name("oomwatch_streams_dead_letters_total")
        .help("Records that could not be decoded, sent to the dead-letter topic, by input topic.").labelNames("topic")
        .callback(cb -> m.deadLetters.forEach((topic, n) -> cb.call(n.sum(), topic))).register(registry);
    CounterWithCallback.builder().name("oomwatch_alert_events_total")
        .help("Alert events written (FIRING, a severity change, RESOLVED), by type, severity and status.")
        .labelNames("type", "severity", "status")
        .callback(cb -> m.alertEvents.forEach((k, n) -> {
          final String[] parts = k.split("\\|", 3);
          cb.call(n.sum(), parts[0], parts[1], parts[2]);
        })).register(registry);
    CounterWithCallback.builder().name("oomwatch_streams_state_flushes_total")
        .help("Detection state entries written to the changelogged stores.")
        .callback(cb -> cb.call(m.stateFlushes.sum())).register(registry);
    GaugeWithCallback.builder().name("oomwatch_alerts_firing")
        .help("1 for each alert firing now on the instances this streams-app holds.")
        .labelNames("cluster", "host", "instance", "alertname", "severity", "pod", "namespace")
        .callback(cb -> m.firing.values().forEach(f ->
            cb.call(1, f.cluster(), f.host(), f.instance(), f.type(), f.severity(), f.pod(), f.namespace())))
        .register(registry);
    GaugeWithCallback.builder().name("oomwatch_streams_lag_records")
        .help("Records in the input topics not read yet, per partition (the Kafka consumer's records-lag).")
        .labelNames("topic", "partition")
        .callback(cb -> lag(streams.get()).forEach((k, v) -> cb.call(v, k[0], k[1]))).register(registry);
    for (final Figure figure : FIGURES) {
      GaugeWithCallback.builder().name(figure.name()).help(figure.help()).unit(Unit.BYTES)
          .labelNames("cluster", "host", "instance", "pod", "namespace")
          .callback(cb -> {
            for (final PipelineMetrics.InstanceFigures f : m.instances(System.currentTimeMillis(), staleMs)) {
              final Number v = figure.value().apply(f);
              if (v != null) {
                cb.call(v.doubleValue(), f.cluster(), f.host(), f.instance(), f.pod(), f.namespace());
              }
            }
          }).register(registry);
    }
    GaugeWithCallback.builder().name("oomwatch_instance_forking")
        .help("1 while the instance's BGSAVE, AOF rewrite or module fork runs.")
        .labelNames("cluster", "host", "instance", "pod", "namespace")
        .callback(cb -> {
          for (final PipelineMetrics.InstanceFigures f : m.instances(System.currentTimeMillis(), staleMs)) {
            cb.call(f.forking() ? 1 : 0, f.cluster(), f.host(), f.instance(), f.pod(), f.namespace());
          }
        }).register(registry);
  }

  /** records-lag of the stream threads' main consumers, by topic and partition. */
  static Map<String[], Double> lag(final KafkaStreams streams) {
    final Map<String[], Double> out = new java.util.LinkedHashMap<>();
    if (streams == null) {
      return out;
    }
    for (final Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
      final MetricName name = e.getKey();
      final Map<String, String> tags = name.tags();
      if (!"records-lag".equals(name.name()) || !"consumer-fetch-manager-metrics".equals(name.group())
          || !tags.containsKey("partition") || tags.getOrDefault("client-id", "").contains("restore-consumer")) {
        continue;
      }
      if (e.getValue().metricValue() instanceof Number n && !Double.isNaN(n.doubleValue())) {
        out.put(new String[] {tags.get("topic"), tags.get("partition")}, n.doubleValue());
      }
    }
    return out;
  }
}
