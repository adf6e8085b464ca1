package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import dev.oomwatch.sizing.Sizing;
import java.util.Optional;

/**
 * FORK_ABORTED: the collector's fork guard ended a fork child before the kernel would have ended the
 * server. WARNING for one abort; CRITICAL once saves keep being aborted (a second within the guard's
 * window, or its budget spent so that it stands down and the next such fork is a kill), with the
 * time since the last good save. Holds for the event hold window after the last abort.
 */
public final class ForkAbortedDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.FORK_ABORTED;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    final AbortRecord a = state.lastAbort;
    if (a == null || now.timestampMs() - a.timestampMs() > config.eventHold().toMillis()) {
      return Optional.empty();
    }
    final boolean keepsAborting = a.abortsInWindow() >= 2 || a.standsDownUntilMs() != null;
    final String fork = switch (a.forkKind() == null ? "" : a.forkKind()) {
      case "BGSAVE" -> "BGSAVE";
      case "AOF_REWRITE" -> "AOF rewrite";
      case "REPLICA_SYNC" -> "BGSAVE for a replica's full sync";
      case "MODULE" -> "module fork";
      default -> "fork";
    };
    final Long sinceSave = a.lastGoodSaveMs() == null || a.lastGoodSaveMs() <= 0 ? null
        : Math.max(0, now.timestampMs() - a.lastGoodSaveMs());
    final StringBuilder s = new StringBuilder("The fork guard ended the ").append(fork).append(" child (pid ")
        .append(a.childPid()).append(") of ").append(now.instance()).append(" at ").append(Evidence.human(a.physicalBytes()))
        .append(" of its ").append(Evidence.human(a.limitBytes())).append(" limit, projected to reach ")
        .append(Evidence.human(a.projectedBytes())).append(" (growing ").append(Evidence.human(a.growthBytesPerSecond()))
        .append("/s); the server lives. ").append(lost(a.forkKind()));
    if (sinceSave != null) {
      s.append(" Last good save ").append(duration(sinceSave)).append(" ago.");
    }
    if (a.abortsInWindow() >= 2) {
      s.append(" Saves keep being aborted: ").append(a.abortsInWindow()).append(" forks ended within the guard's window.");
    }
    if (a.standsDownUntilMs() != null) {
      s.append(" The guard's budget is spent: until ").append(java.time.Instant.ofEpochMilli(a.standsDownUntilMs()))
          .append(" it leaves this instance's forks to the kernel, and the next such fork is a kill.");
    }
    final Sizing sizing = Sizing.of(state.sizing, now);
    final Evidence e = Evidence.with().put("childPid", a.childPid()).put("forkKind", a.forkKind())
        .put("physicalBytes", a.physicalBytes()).put("projectedBytes", a.projectedBytes())
        .put("growthBytesPerSecond", a.growthBytesPerSecond()).put("limitBytes", a.limitBytes())
        .put("decidedAtMs", a.timestampMs()).put("childExitedAfterMs", a.exitedAfterMs())
        .put("abortsInWindow", a.abortsInWindow()).put("standsDownUntilMs", a.standsDownUntilMs())
        .put("lastGoodSaveMs", a.lastGoodSaveMs()).put("sinceLastGoodSaveMs", sinceSave);
    if (sizing != null) {
      sizing.into(e);
    }
    return Optional.of(new Finding(type(), keepsAborting ? Severity.CRITICAL : Severity.WARNING, s.toString(), e.map(),
        "redis-cli INFO persistence | grep -E 'rdb_last_save_time|changes_since|in_progress'; the collector's log "
            + "(fork guard)",
        sizing != null
            ? "Let its forks complete: " + sizing.advice() + " (" + sizing.basis() + ")."
            : "Let its forks complete: raise the limit or lower maxmemory so that the data and a fork's copy fit."));
  }

  private static String lost(final String kind) {
    return switch (kind == null ? "" : kind) {
      case "AOF_REWRITE" -> "The AOF rewrite did not happen: the AOF keeps growing, and Redis tries the rewrite again.";
      case "REPLICA_SYNC" -> "The replica's full sync did not complete: it will ask again, and the primary forks again.";
      case "MODULE" -> "The module's forked work did not complete.";
      default -> "The save did not happen, so the RPO grows; Redis's save points fork again at their next check "
          + "(an aborted save leaves its status ok: no -MISCONF, no retry delay).";
    };
  }

  private static String duration(final long ms) {
    if (ms < 120_000) {
      return ms / 1000 + " s";
    }
    return ms < 7_200_000 ? ms / 60_000 + " min" : ms / 3_600_000 + " h";
  }
}
