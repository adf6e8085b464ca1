package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.join.RedisDetail;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Optional;

/**
 * REPL_BACKLOG_SMALL: a primary with replicas and a repl-backlog-size under the guide's 100 MB. A
 * replica that falls out of a small backlog asks for a full sync, and the primary forks for it:
 * copy-on-write grows under the writes while the replica's output buffer grows too. WARNING;
 * CRITICAL when full syncs repeat (more than one in an hour).
 */
public final class ReplBacklogDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.REPL_BACKLOG_SMALL;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    final RedisDetail d = now.detail();
    if (d == null || !"master".equals(d.role()) || d.connectedReplicas() == null || d.connectedReplicas() == 0
        || d.replBacklogSize() == null || d.replBacklogSize() >= config.replBacklogMinBytes()) {
      return Optional.empty();
    }
    final int syncs = state.fullSyncsMs.size();
    final boolean repeating = syncs >= config.fullSyncsCritical();
    return Optional.of(new Finding(type(), repeating ? Severity.CRITICAL : Severity.WARNING,
        now.instance() + " has " + d.connectedReplicas() + " replica" + (d.connectedReplicas() == 1 ? "" : "s")
            + " and a replication backlog of " + Evidence.human(d.replBacklogSize()) + ": a replica that falls "
            + "behind it needs a full sync, a fork of the primary under writes"
            + (repeating ? "; " + syncs + " full syncs in the last hour" : "") + ".",
        Evidence.with().put("replBacklogSize", d.replBacklogSize()).put("connectedReplicas", d.connectedReplicas())
            .put("fullSyncsLastHour", syncs).put("syncFull", d.syncFull())
            .put("minimumBytes", config.replBacklogMinBytes()).map(),
        "redis-cli INFO replication; INFO stats | grep sync_full",
        "CONFIG SET repl-backlog-size 100mb (or more: the writes of the longest replica outage you ride out), "
            + "and give the primary room for a full sync's fork."));
  }
}
