package dev.oomwatch.detect;

/**
 * A fork the collector's guard ended (FORK_ABORTED), as the instance's state keeps it: the fork,
 * what the guard projected, how long the child took to exit, and where the guard's budget stood.
 */
public record AbortRecord(
    long timestampMs,
    long childPid,
    String forkKind,
    long physicalBytes,
    long projectedBytes,
    long growthBytesPerSecond,
    long limitBytes,
    Long exitedAfterMs,
    int abortsInWindow,
    Long standsDownUntilMs,
    Long lastGoodSaveMs) {

  public static AbortRecord of(final dev.oomwatch.schema.KernelEvent event) {
    final dev.oomwatch.schema.ForkAbort a = event.getForkAbort();
    return new AbortRecord(a.getDecidedAtMs(), a.getChildPid(), a.getForkKind(), a.getPhysicalBytes(),
        a.getProjectedBytes(), a.getGrowthBytesPerSecond(), a.getLimitBytes(),
        a.getExitedAtMs() == null ? null : a.getExitedAtMs() - a.getDecidedAtMs(), a.getAbortsInWindow(),
        a.getStandsDownUntilMs(), a.getLastGoodSaveMs());
  }
}
