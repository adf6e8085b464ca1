package dev.oomwatch.sizing;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.join.RedisDetail;

/**
 * One instance's sizing advice, from its own history: the largest {@code maxmemory} that survives
 * its worst observed fork under its current limit, and the limit its current data needs.
 *
 * <p>The model: at the peak of its worst fork an instance holding {@code U} bytes of data needs
 * <pre>
 *   need(U) = F·U + X            its resident memory (F: resident bytes per byte of data at their
 *                                day's peak; X: fixed resident memory of a small instance)
 *           + R·U (+ X)          the fork's copy (R: the worst copied/used of its forks in the window;
 *                                an instance that never forked copies everything resident, R = F)
 *           + O                  other processes of its cgroup or pod, at their peak
 *           + B                  its client and replica buffers grown back to their peak
 *           + S                  a primary with replicas: a full sync fills the replica's output
 *                                buffer up to its hard limit
 * </pre>
 * so the limit it needs is {@code need(used_memory)} and the safe maxmemory solves
 * {@code need(M) = limit}. The headroom at its next worst-case fork is {@code limit - need(used)}:
 * negative, the next such fork is a kill. Pure.
 *
 * @param copyBasis how R was chosen: "measured" (forks seen) or "full copy" (never forked: even
 *     without persistence a manual BGSAVE, a backup tool or a replica attaching forks it)
 */
public record Sizing(
    long limitBytes,
    long usedMemory,
    Long maxmemory,
    long safeMaxmemoryBytes,
    long neededLimitBytes,
    long headroomBytes,
    Long limitForMaxmemoryBytes,
    int forksSeen,
    int forksKilled,
    String copyBasis,
    double copyRatio,
    double residentRatio,
    long fixedBytes,
    long otherBytes,
    long bufferGrowthBytes,
    long fullSyncReserveBytes,
    long windowDays,
    String basis) {

  /**
   * The advice for {@code now}, or null when its limit or data is unknown. Its limit is its cgroup's
   * (the last one seen where this look lacks the kernel's side), else the host's RAM.
   */
  public static Sizing of(final SizingHistory h, final InstanceSnapshot now) {
    return h == null ? null
        : of(h, now, now.cgroupLimit() != null ? now.cgroupLimit() : h.cgroupLimit != null ? h.cgroupLimit : now.limit());
  }

  /** The advice against a given limit (a kill's, as the kernel said it). */
  public static Sizing of(final SizingHistory h, final InstanceSnapshot now, final Long limit) {
    final Long used = now.usedMemory();
    if (h == null || limit == null || used == null || limit <= 0) {
      return null;
    }
    Double ratio = null;
    long fixed = 0;
    long other = 0;
    long peakBuffers = 0;
    for (final PeakDay d : h.days) {
      if (d.residentRatio() != null) {
        ratio = ratio == null ? d.residentRatio() : Math.max(ratio, d.residentRatio());
      }
      fixed = Math.max(fixed, d.fixedBytes());
      other = Math.max(other, d.otherBytes());
      peakBuffers = Math.max(peakBuffers, d.bufferBytes());
    }
    // the day's ratio is the data's own; fixed memory counts only where no ratio was measured
    final double f = ratio == null ? 1.0 : Math.max(1.0, ratio);
    final long x = ratio == null ? fixed : 0;
    final RedisDetail d = now.detail();
    final long buffersNow = SizingHistory.buffers(d);
    final long growth = Math.max(0, peakBuffers - buffersNow);
    final boolean replicas = d != null && d.connectedReplicas() != null && d.connectedReplicas() > 0;
    final long sync = replicas && d.replicaBufferLimit() != null && d.replicaBufferLimit() > 0
        ? Math.max(0, d.replicaBufferLimit() - (d.clientsReplicas() == null ? 0 : d.clientsReplicas())) : 0;

    int killed = 0;
    double worst = 0;
    for (final ForkSeen fork : h.forks) {
      worst = Math.max(worst, fork.copyRatio());
      killed += fork.killed() ? 1 : 0;
    }
    final String copyBasis;
    final double r;
    final long copyFixed;
    if (!h.forks.isEmpty()) {
      copyBasis = "measured";
      // a fork copies each resident page at most once
      r = Math.min(worst, f);
      copyFixed = 0;
    } else {
      // without persistence a manual BGSAVE, a backup tool or a replica attaching still forks it
      copyBasis = "full copy";
      r = f;
      copyFixed = x;
    }
    final long constant = x + copyFixed + other + growth + sync;
    final long needed = need(used, f, r, constant);
    final long safe = Math.max(0, (long) Math.floor((limit - constant) / (f + r)));
    final Long mm = now.maxmemory();
    final Long forMaxmemory = mm == null || mm == 0 ? null : need(mm, f, r, constant);
    final long days = Math.max(1, Math.round(h.windowMs / 86_400_000.0));
    final int seen = h.forksInWindow();
    return new Sizing(limit, used, mm, safe, needed, limit - needed, forMaxmemory, seen, killed, copyBasis,
        r, f, x, other, growth, sync, days, basis(copyBasis, seen, killed, r, days));
  }

  private static long need(final long used, final double f, final double r, final long constant) {
    return (long) Math.ceil(used * (f + r)) + constant;
  }

  private static String basis(final String copyBasis, final int forks, final int killed, final double r, final long days) {
    return switch (copyBasis) {
      case "measured" -> String.format(java.util.Locale.ROOT, "the worst of %d fork%s in %d days copied %.0f%% of its data%s",
          forks, forks == 1 ? "" : "s", days, 100 * r, killed > 0 ? " (" + killed + " killed or aborted, counted at their projected end)" : "");
      default -> "no fork seen in " + days + " days: sized for a fork that copies all of its resident memory";
    };
  }

  /** Whether its data already needs more than its limit at its next worst-case fork. */
  public boolean overLimit() {
    return headroomBytes < 0;
  }

  /** Whether maxmemory lets the data grow past what a worst-case fork survives (unset counts). */
  public boolean maxmemoryAboveSafe() {
    return maxmemory == null || maxmemory == 0 || maxmemory > safeMaxmemoryBytes;
  }

  /** "set maxmemory to 1.4 GB or the limit to 3.1 GB", for a fix text. */
  public String advice() {
    final long limitNeeded = limitForMaxmemoryBytes != null ? Math.max(limitForMaxmemoryBytes, neededLimitBytes)
        : neededLimitBytes;
    if (safeMaxmemoryBytes <= 0) {
      return "raise the limit to " + dev.oomwatch.detect.Evidence.human(limitNeeded)
          + " (no maxmemory survives a worst-case fork under this one)";
    }
    return "set maxmemory to " + dev.oomwatch.detect.Evidence.human(safeMaxmemoryBytes) + " or the limit to "
        + dev.oomwatch.detect.Evidence.human(limitNeeded);
  }

  /** Its figures, for an alert's evidence. */
  public void into(final dev.oomwatch.detect.Evidence e) {
    e.put("safeMaxmemoryBytes", safeMaxmemoryBytes).put("neededLimitBytes", neededLimitBytes)
        .put("sizingHeadroomBytes", headroomBytes).put("limitForMaxmemoryBytes", limitForMaxmemoryBytes)
        .put("sizingForksSeen", forksSeen).put("sizingCopyBasis", copyBasis).put("sizingCopyRatio", round(copyRatio))
        .put("sizingResidentRatio", round(residentRatio)).put("sizingOtherBytes", otherBytes)
        .put("sizingBufferGrowthBytes", bufferGrowthBytes).put("sizingFullSyncReserveBytes", fullSyncReserveBytes)
        .put("sizingBasis", basis);
  }

  private static double round(final double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
