package dev.oomwatch.collector;

import dev.oomwatch.collector.publish.Publisher;
import dev.oomwatch.collector.redis.RedisSampler;
import dev.oomwatch.metrics.Labels;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The collector's health for Prometheus, read at scrape time from the counters it keeps anyway
 * ({@link CollectorMetrics}), its publish buffer and its samplers: nothing is counted twice and a
 * scrape costs the samplers nothing.
 */
final class CollectorPrometheus {
  private CollectorPrometheus() {}

  static void register(final PrometheusRegistry registry, final String host, final CollectorMetrics m,
      final Publisher publisher, final Collection<RedisSampler> samplers) {
    CounterWithCallback.builder().name("oomwatch_collector_samples_total")
        .help("Samples taken, by source: redis (one per instance and interval), host (/proc and cgroups), kernel (kernel events).")
        .labelNames("host", "source")
        .callback(cb -> {
          cb.call(m.redisSamples.get(), host, "redis");
          cb.call(m.hostSamples.get(), host, "host");
          cb.call(m.kernelEvents.get(), host, "kernel");
        }).register(registry);
    CounterWithCallback.builder().name("oomwatch_collector_published_total")
        .help("Records the broker acknowledged, by topic.").labelNames("host", "topic")
        .callback(cb -> m.publishedByTopic.forEach((topic, n) -> cb.call(n.get(), host, topic))).register(registry);
    CounterWithCallback.builder().name("oomwatch_collector_dropped_total")
        .help("Samples dropped because the publish buffer was full (the broker away for longer than it holds).")
        .labelNames("host").callback(cb -> cb.call(m.dropped.get(), host)).register(registry);
    GaugeWithCallback.builder().name("oomwatch_collector_buffer_records")
        .help("Records waiting to be published.").labelNames("host")
        .callback(cb -> cb.call(publisher.bufferedRecords(), host)).register(registry);
    GaugeWithCallback.builder().name("oomwatch_collector_buffer_bytes").unit(Unit.BYTES)
        .help("Bytes of the records waiting to be published.").labelNames("host")
        .callback(cb -> cb.call(publisher.bufferedBytes(), host)).register(registry);
    GaugeWithCallback.builder().name("oomwatch_collector_buffer_oldest_age_seconds")
        .help("How long the oldest record waiting to be published has waited.").labelNames("host")
        .callback(cb -> cb.call(publisher.oldestBufferedAgeMs() / 1000.0, host)).register(registry);
    CounterWithCallback.builder().name("oomwatch_collector_read_errors_total")
        .help("Files and kernel-log records that could not be read or parsed, by file and reason.")
        .labelNames("host", "file", "reason")
        .callback(cb -> readErrors(m.readErrors).forEach((k, v) -> cb.call(v, host, k[0], k[1])))
        .register(registry);
    CounterWithCallback.builder().name("oomwatch_collector_redis_unreachable_total")
        .help("Sampling attempts that did not reach Redis.").labelNames("host")
        .callback(cb -> cb.call(m.redisUnreachable.get(), host)).register(registry);
    CounterWithCallback.builder().name("oomwatch_collector_redis_sample_errors_total")
        .help("Answers from Redis that could not be made into a sample.").labelNames("host")
        .callback(cb -> cb.call(m.redisSampleErrors.get(), host)).register(registry);
    GaugeWithCallback.builder().name("oomwatch_collector_redis_up")
        .help("1 when the last attempt reached the instance, 0 when it did not.")
        .labelNames("host", "instance", "pod", "namespace")
        .callback(cb -> {
          for (final RedisSampler sampler : samplers) {
            final RedisSampler.Status status = sampler.status();
            cb.call(status.up() ? 1 : 0, host, sampler.instance(), Labels.of(status.podName()),
                Labels.of(status.podNamespace()));
          }
        }).register(registry);
    GaugeWithCallback.builder().name("oomwatch_collector_kernel_log_readable")
        .help("1 when the collector reads kills from the kernel log (victim, cgroup, group kills), 0 when it cannot "
            + "and infers them from oom_kill counters (no victim).")
        .labelNames("host").callback(cb -> {
          final int read = m.kernelLogRead.get();
          if (read >= 0) {
            cb.call(read, host);
          }
        }).register(registry);
    CounterWithCallback.builder().name("oomwatch_collector_kernel_oom_kills_total")
        .help("Kernel OOM kills the collector published (from the kernel log, or inferred from cgroup counters).")
        .labelNames("host").callback(cb -> cb.call(m.kernelKills.get(), host)).register(registry);
    CounterWithCallback.builder().name("oomwatch_collector_guard_actions_total")
        .help("The fork guard's actions: aborted (a fork child ended with SIGUSR1), stood_down (its budget for an "
            + "instance spent: the kernel decides), unverified (a child of a server no socket ties to a sample: left "
            + "alone), failed (the signal could not be sent).")
        .labelNames("host", "action").callback(cb -> {
          cb.call(m.guardAborts.get(), host, "aborted");
          cb.call(m.guardStoodDown.get(), host, "stood_down");
          cb.call(m.guardUnverified.get(), host, "unverified");
          cb.call(m.guardFailures.get(), host, "failed");
        }).register(registry);
    GaugeWithCallback.builder().name("oomwatch_collector_guard_ready")
        .help("1 when the fork guard is on and may signal fork children (root or CAP_KILL), 0 when it is on and may not.")
        .labelNames("host").callback(cb -> {
          if (m.guardReady.get() >= 0) {
            cb.call(m.guardReady.get(), host);
          }
        }).register(registry);
    CounterWithCallback.builder().name("oomwatch_collector_redis_discovered_total")
        .help("Servers discovery found and began to sample.").labelNames("host")
        .callback(cb -> cb.call(m.redisDiscovered.get(), host)).register(registry);
  }

  /** "path: why" folded by file (per-pid paths made one) and the reason's first words. */
  static Map<String[], Long> readErrors(final Map<String, AtomicLong> reasons) {
    final Map<String, Long> folded = new HashMap<>();
    reasons.forEach((reason, count) -> {
      final int colon = reason.indexOf(": ");
      final String file = Labels.file(colon < 0 ? reason : reason.substring(0, colon));
      final String why = colon < 0 ? "" : firstWords(reason.substring(colon + 2));
      folded.merge(file + "\u0000" + why, count.get(), Long::sum);
    });
    final Map<String[], Long> out = new java.util.LinkedHashMap<>();
    folded.forEach((k, v) -> out.put(k.split("\u0000", 2), v));
    return out;
  }

  private static String firstWords(final String why) {
    // the reason's kind, not its numbers: "truncated after 12 bytes" and "truncated after 40" are one series
    return why.replaceAll("[0-9]+", "N").replaceAll("\\s+", " ").trim();
  }
}
