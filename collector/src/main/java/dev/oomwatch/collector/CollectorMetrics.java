package dev.oomwatch.collector;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The collector's own counters: what it sampled, what it could not, what it had to drop. Logged
 * when they change (once a minute at most) and readable by tests and {@code bench}.
 */
public final class CollectorMetrics {
  public final AtomicLong redisSamples = new AtomicLong();
  public final AtomicLong redisUnreachable = new AtomicLong();
  public final AtomicLong redisSampleErrors = new AtomicLong();
  public final AtomicLong hostSamples = new AtomicLong();
  public final AtomicLong kernelEvents = new AtomicLong();
  public final AtomicLong published = new AtomicLong();
  public final AtomicLong dropped = new AtomicLong();
  public final AtomicLong buffered = new AtomicLong();
  /** Kills from before the start read back from the kernel log and published / already on the topic. */
  public final AtomicLong kernelReplayed = new AtomicLong();
  public final AtomicLong kernelReplaySkipped = new AtomicLong();
  /** OOM kills the collector published (read from the kernel log or inferred from counters). */
  public final AtomicLong kernelKills = new AtomicLong();
  /** 1 while kills are read from the kernel log, 0 where it cannot be read and they are inferred. */
  public final java.util.concurrent.atomic.AtomicInteger kernelLogRead = new java.util.concurrent.atomic.AtomicInteger(-1);
  /** Discovery's looks at /proc. */
  public final AtomicLong discoveryPasses = new AtomicLong();
  /** Servers discovery has started sampling. */
  public final AtomicLong redisDiscovered = new AtomicLong();
  /** Fork children the guard ended; times it stood down for an instance; children it left alone (unverified server). */
  public final AtomicLong guardAborts = new AtomicLong();
  public final AtomicLong guardStoodDown = new AtomicLong();
  public final AtomicLong guardUnverified = new AtomicLong();
  public final AtomicLong guardFailures = new AtomicLong();
  /** 1 when the guard is on and may signal (CAP_KILL or root), 0 when on and may not, -1 when off. */
  public final java.util.concurrent.atomic.AtomicInteger guardReady = new java.util.concurrent.atomic.AtomicInteger(-1);
  /** Why a file or line could not be read, by reason (e.g. "/proc/meminfo: truncated"). */
  public final Map<String, AtomicLong> readErrors = new ConcurrentHashMap<>();

  /** Records the broker acknowledged, by topic. */
  public final Map<String, AtomicLong> publishedByTopic = new ConcurrentHashMap<>();

  public void published(final String topic) {
    published.incrementAndGet();
    publishedByTopic.computeIfAbsent(topic, t -> new AtomicLong()).incrementAndGet();
  }

  public void readError(final String reason) {
    readErrors.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
  }

  public Map<String, Long> snapshot() {
    final Map<String, Long> map = new LinkedHashMap<>();
    map.put("redisSamples", redisSamples.get());
    map.put("redisUnreachable", redisUnreachable.get());
    map.put("redisSampleErrors", redisSampleErrors.get());
    map.put("hostSamples", hostSamples.get());
    map.put("kernelEvents", kernelEvents.get());
    map.put("published", published.get());
    map.put("buffered", buffered.get());
    map.put("dropped", dropped.get());
    map.put("redisDiscovered", redisDiscovered.get());
    map.put("readErrors", readErrors.values().stream().mapToLong(AtomicLong::get).sum());
    return map;
  }
}
