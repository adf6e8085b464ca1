package dev.oomwatch.history;

import dev.oomwatch.join.InstanceSnapshot;

/**
 * One instance at one moment as the timeline shows it: the logical figure (used_memory), the
 * physical ones (Redis's RSS, the server's and fork child's RSS from /proc, the cgroup's usage and
 * anonymous memory) and the limit the kernel judges against. Kept small: a day of these at the
 * fork rate is tens of thousands per instance.
 */
public record TimelinePoint(
    long timestampMs,
    boolean reachable,
    Long usedMemory,
    Long usedMemoryRss,
    Long maxmemory,
    Long serverRss,
    Long childPid,
    Long childRss,
    Long cgroupUsage,
    Long cgroupAnon,
    Long cgroupLimit,
    Long physical,
    Long limit,
    boolean forking) {

  public static TimelinePoint of(final InstanceSnapshot s) {
    return new TimelinePoint(s.timestampMs(), s.reachable(), s.usedMemory(), s.usedMemoryRss(), s.maxmemory(),
        s.serverRss(), s.childPid(), s.childRss(), s.cgroupUsage(), s.cgroupAnon(), s.cgroupLimit(), s.physical(),
        s.limit(), s.forking());
  }

  /** Bytes left before the limit, by the physical figure; null when either is unknown. */
  public Long headroom() {
    return physical == null || limit == null ? null : limit - physical;
  }
}
