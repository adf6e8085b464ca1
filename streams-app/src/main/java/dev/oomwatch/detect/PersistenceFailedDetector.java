package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.join.RedisDetail;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Optional;

/**
 * PERSISTENCE_FAILED: the last BGSAVE or AOF rewrite failed (a fork child the kernel killed leaves
 * {@code rdb_last_bgsave_status:err}). CRITICAL while Redis refuses writes because of it (save
 * points set and stop-writes-on-bgsave-error yes: every write answered -MISCONF), else WARNING.
 * Resolves when a save or rewrite succeeds.
 */
public final class PersistenceFailedDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.PERSISTENCE_FAILED;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    final RedisDetail d = now.detail();
    if (d == null) {
      return Optional.empty();
    }
    final boolean rdb = "err".equals(d.rdbLastBgsaveStatus());
    final boolean aof = "err".equals(d.aofLastBgrewriteStatus());
    if (!rdb && !aof) {
      return Optional.empty();
    }
    final boolean refused = Boolean.TRUE.equals(d.writesRefused());
    final String what = rdb && aof ? "the last BGSAVE and the last AOF rewrite" : rdb ? "the last BGSAVE" : "the last AOF rewrite";
    final String consequence = refused
        ? " Redis refuses every write with -MISCONF until a save succeeds (save points are set and "
            + "stop-writes-on-bgsave-error is yes)."
        : rdb && d.writesRefused() == null
            ? " With save points and stop-writes-on-bgsave-error yes (the default) Redis refuses writes with -MISCONF."
            : " Writes go on; what was written since the last good save is not on disk.";
    final KillRecord kill = state.lastKill;
    final boolean killed = kill != null && "FORK_CHILD".equals(kill.role())
        && now.timestampMs() - kill.timestampMs() <= config.eventHold().toMillis();
    return Optional.of(new Finding(type(), refused ? Severity.CRITICAL : Severity.WARNING,
        capitalized(what) + " of " + now.instance() + " failed" + (killed ? " (the kernel OOM-killed its fork child)" : "")
            + "." + consequence,
        Evidence.with().put("rdbLastBgsaveStatus", d.rdbLastBgsaveStatus())
            .put("aofLastBgrewriteStatus", d.aofLastBgrewriteStatus())
            .put("writesRefused", d.writesRefused()).put("savePoints", d.savePoints())
            .put("stopWritesOnBgsaveError", d.stopWritesOnBgsaveError())
            .put("forkChildKilledAtMs", killed ? kill.timestampMs() : null).map(),
        "redis-cli INFO persistence | grep -E 'last_bgsave_status|last_bgrewrite_status'; the server's log says why",
        (killed ? "Give the fork room for copy-on-write (see the kill's sizing), then run BGSAVE once it fits. "
            : "Fix what made the save fail (the log says: disk, permissions, memory), then run BGSAVE. ")
            + (refused ? "To take writes meanwhile, without persistence: CONFIG SET stop-writes-on-bgsave-error no." : "")));
  }

  private static String capitalized(final String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
