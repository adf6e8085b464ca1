package dev.oomwatch.join;

/**
 * One instance at one moment: Redis's logical figures beside the kernel's view of the same
 * instance (its server's RSS, its fork child's, its cgroup's usage and limit). This is what the
 * detectors judge. Kernel fields are null when no kernel view was valid at that time.
 */
public record InstanceSnapshot(
    String host,
    String instance,
    long timestampMs,
    boolean reachable,
    String runId,
    Long pid,
    Long uptimeSeconds,
    Long usedMemory,
    Long usedMemoryRss,
    Long maxmemory,
    Long totalSystemMemory,
    Double fragmentationRatio,
    Long lastCowSize,
    Long currentCowSize,
    Double forkPercent,
    Long keysProcessed,
    Long keysTotal,
    boolean redisForking,
    Long latestForkUsec,
    Long totalForks,
    Long oomErrors,
    Boolean persistent,
    Long topClientOmem,
    String topClient,
    Long monitorClients,
    Boolean normalBuffersUnlimited,
    // the kernel's side
    Long kernelTimestampMs,
    Long serverRss,
    Long childPid,
    Long childRss,
    String cgroupPath,
    Long cgroupUsage,
    Long cgroupAnon,
    Long cgroupLimit,
    Long hostMemTotal) {

  /** What the OOM killer will judge against: the cgroup's limit, else the host's RAM. */
  public Long limit() {
    if (cgroupLimit != null) {
      return cgroupLimit;
    }
    return hostMemTotal != null ? hostMemTotal : totalSystemMemory;
  }

  public String limitSource() {
    return cgroupLimit != null ? "cgroup " + cgroupPath : "host RAM";
  }

  /**
   * Physical memory that counts against the instance's limit and cannot be reclaimed: its
   * cgroup's anonymous memory (usage where the kernel does not say), else server plus child RSS,
   * else Redis's own RSS figure.
   */
  public Long physical() {
    if (cgroupLimit != null && (cgroupAnon != null || cgroupUsage != null)) {
      return cgroupAnon != null ? cgroupAnon : cgroupUsage;
    }
    if (serverRss != null) {
      return serverRss + (childRss == null ? 0 : childRss);
    }
    return usedMemoryRss;
  }

  public boolean forking() {
    return redisForking || childPid != null;
  }

  /** The same snapshot judged at another moment (a kernel event's time). */
  public InstanceSnapshot at(final long ms) {
    return new InstanceSnapshot(host, instance, ms, reachable, runId, pid, uptimeSeconds, usedMemory, usedMemoryRss,
        maxmemory, totalSystemMemory, fragmentationRatio, lastCowSize, currentCowSize, forkPercent, keysProcessed,
        keysTotal, redisForking, latestForkUsec, totalForks, oomErrors, persistent, topClientOmem, topClient,
        monitorClients, normalBuffersUnlimited, kernelTimestampMs, serverRss, childPid, childRss, cgroupPath,
        cgroupUsage, cgroupAnon, cgroupLimit, hostMemTotal);
  }

  /** Fork progress in [0,1] from Redis's own counters, or null when it does not say. */
  public Double progress() {
    if (forkPercent != null && forkPercent > 0) {
      return Math.min(1.0, forkPercent / 100.0);
    }
    if (keysProcessed != null && keysTotal != null && keysTotal > 0 && keysProcessed > 0) {
      return Math.min(1.0, (double) keysProcessed / keysTotal);
    }
    return null;
  }
}
