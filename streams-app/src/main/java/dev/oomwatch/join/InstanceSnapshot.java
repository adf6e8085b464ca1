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
    Long hostMemTotal,
    // where it runs: how the collector tied it to a host process, and its pod
    String identity,
    String podName,
    String podNamespace,
    String containerName,
    Long workingSet,
    String limitPath,
    Long limitPathUsage,
    // the regime a kill would meet: cgroup v1 or v2, and v2's memory.oom.group (a kill takes them all)
    Integer cgroupVersion,
    Boolean oomGroup,
    // the server's memory in transparent huge pages (smaps_rollup AnonHugePages)
    Long serverAnonHugePages,
    // Redis's own account of its memory, forks, replication and persistence
    RedisDetail detail,
    // the cluster its collector said it is in (cluster.id)
    String cluster) {

  /**
   * What the OOM killer will judge against: the smallest cgroup limit on the instance's path to the
   * root (its container's, its pod's), else the host's RAM.
   */
  public Long limit() {
    if (cgroupLimit != null) {
      return cgroupLimit;
    }
    return hostMemTotal != null ? hostMemTotal : totalSystemMemory;
  }

  public String limitSource() {
    if (cgroupLimit == null) {
      return "host RAM";
    }
    final String holder = limitPath != null ? limitPath : cgroupPath;
    return "cgroup " + holder + (limitHeldAbove() ? ", the pod's" : "");
  }

  /** The limit is set above the instance's own cgroup (its pod's): what the pod's others use counts too. */
  public boolean limitHeldAbove() {
    return limitPath != null && cgroupPath != null && !limitPath.equals(cgroupPath);
  }

  /** "namespace/pod" where the pod is known, else null. */
  public String pod() {
    if (podName == null) {
      return null;
    }
    return podNamespace == null ? podName : podNamespace + "/" + podName;
  }

  /**
   * Physical memory that counts against the instance's limit and cannot be reclaimed: its
   * cgroup's anonymous memory (usage where the kernel does not say), plus, when the pod holds the
   * limit, what the rest of the pod uses; else server plus child RSS, else Redis's own RSS figure.
   */
  public Long physical() {
    if (cgroupLimit != null && (cgroupAnon != null || cgroupUsage != null)) {
      final long own = cgroupAnon != null ? cgroupAnon : cgroupUsage;
      if (limitHeldAbove() && limitPathUsage != null && cgroupUsage != null) {
        return own + Math.max(0, limitPathUsage - cgroupUsage);
      }
      return own;
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
        cgroupUsage, cgroupAnon, cgroupLimit, hostMemTotal, identity, podName, podNamespace, containerName, workingSet,
        limitPath, limitPathUsage, cgroupVersion, oomGroup, serverAnonHugePages, detail, cluster);
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
