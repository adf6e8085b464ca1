package dev.oomwatch.streams;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the topology's processors did, kept where the /metrics endpoint reads it: records read,
 * dead letters, alert events, state flushes, the alerts firing now, and the latest joined figures
 * of every instance this streams-app's tasks hold. Written by the stream threads, read by scrapes.
 */
public final class PipelineMetrics {
  /** One instance's latest joined figures, and when (wall clock) this app last judged it. */
  public record InstanceFigures(String cluster, String host, String instance, String pod, String namespace, Long usedMemory,
      Long usedMemoryRss, Long physical, Long workingSet, Long limit, boolean forking, Long lastCowSize,
      Long safeMaxmemory, Long neededLimit, long seenAtMs) {

    public Long headroom() {
      return limit == null || physical == null ? null : limit - physical;
    }
  }

  /** An alert firing now, with its labels. */
  public record Firing(String cluster, String host, String instance, String type, String severity, String pod, String namespace) {}

  final Map<String, LongAdder> records = new ConcurrentHashMap<>();
  final Map<String, LongAdder> deadLetters = new ConcurrentHashMap<>();
  /** Alert events by type, severity and status. */
  final Map<String, LongAdder> alertEvents = new ConcurrentHashMap<>();
  final LongAdder stateFlushes = new LongAdder();
  final Map<String, Firing> firing = new ConcurrentHashMap<>();
  final Map<String, InstanceFigures> instances = new ConcurrentHashMap<>();

  void record(final String topic) {
    records.computeIfAbsent(topic, t -> new LongAdder()).increment();
  }

  void deadLetter(final String topic) {
    deadLetters.computeIfAbsent(topic, t -> new LongAdder()).increment();
  }

  void flushed(final int stores) {
    stateFlushes.add(stores);
  }

  void alert(final String key, final Alert alert) {
    alertEvents.computeIfAbsent(alert.getType() + "|" + alert.getSeverity() + "|" + alert.getStatus(),
        k -> new LongAdder()).increment();
    if (alert.getStatus() == AlertStatus.RESOLVED) {
      firing.remove(key);
    } else {
      firing.put(key, new Firing(orEmpty(alert.getCluster()), alert.getHost(), orEmpty(alert.getInstance()), alert.getType().name(),
          alert.getSeverity().name(), orEmpty(alert.getPodName()), orEmpty(alert.getPodNamespace())));
    }
  }

  void firingSince(final String key, final Firing alert) {
    firing.put(key, alert);
  }

  void notFiringHere(final String key) {
    firing.remove(key);
  }

  void snapshot(final String key, final InstanceSnapshot s, final dev.oomwatch.sizing.Sizing sizing, final long nowMs) {
    instances.put(key, new InstanceFigures(orEmpty(s.cluster()), s.host(), s.instance(), orEmpty(s.podName()), orEmpty(s.podNamespace()),
        s.usedMemory(), s.usedMemoryRss(), s.physical(), s.workingSet(), s.limit(), s.forking(), s.lastCowSize(),
        sizing == null ? null : sizing.safeMaxmemoryBytes(), sizing == null ? null : sizing.neededLimitBytes(), nowMs));
  }

  /** Figures judged within {@code maxAgeMs}; older ones are forgotten (their task moved, or the instance went quiet). */
  public Iterable<InstanceFigures> instances(final long nowMs, final long maxAgeMs) {
    instances.values().removeIf(f -> nowMs - f.seenAtMs() > maxAgeMs);
    return instances.values();
  }

  private static String orEmpty(final String s) {
    return s == null ? "" : s;
  }
}
