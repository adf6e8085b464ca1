package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import dev.oomwatch.sizing.Sizing;
import java.util.Optional;

/**
 * COW_HEADROOM_LOW, before any fork: persistence is on and the physical memory plus what the next
 * fork would copy passes the limit. The copy is the last fork's measured COW where known, else the
 * worst case, a full copy of the data. A last COW above half of used_memory raises it to CRITICAL.
 */
public final class CowHeadroomDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.COW_HEADROOM_LOW;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    // During a fork the copy is already counted in physical memory: judge the pre-fork baseline.
    final Long physical = now.forking() && state.forkBaseline != null ? state.forkBaseline : now.physical();
    final Long limit = now.limit();
    if (!Boolean.TRUE.equals(now.persistent()) || physical == null || limit == null || now.usedMemory() == null) {
      return Optional.empty();
    }
    final Long lastCow = now.lastCowSize() != null && now.lastCowSize() > 0 ? now.lastCowSize() : null;
    final long cow = lastCow != null ? lastCow : now.usedMemory();
    final long projected = physical + cow;
    // a primary's full sync also fills the replica's output buffer with the writes, up to its hard limit
    final dev.oomwatch.join.RedisDetail d = now.detail();
    final boolean primary = d != null && "master".equals(d.role()) && d.connectedReplicas() != null
        && d.connectedReplicas() > 0 && d.replicaBufferLimit() != null && d.replicaBufferLimit() > 0;
    final long replicaBuffers = d == null || d.clientsReplicas() == null ? 0 : d.clientsReplicas();
    final long withSync = primary ? projected + Math.max(0, d.replicaBufferLimit() - replicaBuffers) : projected;
    if (withSync <= limit) {
      return Optional.empty();
    }
    final boolean onlyBySync = projected <= limit;
    final Sizing sizing = Sizing.of(state.sizing, now);
    final boolean heavyCow = lastCow != null && lastCow > config.cowLastRatio() * now.usedMemory();
    return Optional.of(new Finding(type(), heavyCow && !onlyBySync ? Severity.CRITICAL : Severity.WARNING,
        (onlyBySync
            ? "A replica's full sync from " + now.instance() + " would need about " + Evidence.human(withSync) + " ("
                + Evidence.human(physical) + " resident + " + Evidence.human(cow)
                + (lastCow != null ? " copied by the last fork" : " if the fork copies everything") + " + up to "
                + Evidence.human(d.replicaBufferLimit()) + " of the replica's output buffer)"
            : "The next BGSAVE or AOF rewrite of " + now.instance() + " would need about " + Evidence.human(projected)
                + " (" + Evidence.human(physical) + " resident + " + Evidence.human(cow)
                + (lastCow != null ? " copied by the last fork" : " if the fork copies everything") + ")")
            + " but its limit (" + now.limitSource() + ") is " + Evidence.human(limit) + "." + ForkTerms.regime(now),
        evidence(now, physical, cow, lastCow, projected, limit, primary, replicaBuffers, withSync, d, sizing).map(),
        "redis-cli INFO persistence | grep -E 'cow_size|in_progress'; compare used_memory_rss with the "
            + (now.cgroupLimit() != null ? "cgroup's memory limit" : "host's RAM") + "; GET /api/sizing",
        sizing != null
            ? "From this instance's own forks: " + sizing.advice() + " (" + sizing.basis() + "); or schedule BGSAVE "
                + "at quiet times and disable automatic save directives (wider RPO)."
            : "Keep used_memory under 50% of the limit on persistent instances: raise the limit, lower maxmemory, "
                + "or schedule BGSAVE at quiet times and disable automatic save directives (wider RPO)."));
  }

  private static Evidence evidence(final InstanceSnapshot now, final long physical, final long cow, final Long lastCow,
      final long projected, final long limit, final boolean primary, final long replicaBuffers, final long withSync,
      final dev.oomwatch.join.RedisDetail d, final Sizing sizing) {
    final Evidence e = Evidence.with().put("physicalBytes", physical).put("expectedCowBytes", cow)
        .put("cowSource", lastCow != null ? "last fork" : "worst case: used_memory").put("projectedBytes", projected)
        .put("limitBytes", limit).put("limitSource", now.limitSource()).put("usedMemory", now.usedMemory())
        .put("lastCowSize", lastCow).put("oomGroup", now.oomGroup())
        .put("replicaBufferBytes", primary ? replicaBuffers : null)
        .put("replicaBufferLimitBytes", primary ? d.replicaBufferLimit() : null)
        .put("withFullSyncBytes", primary ? withSync : null);
    if (sizing != null) {
      sizing.into(e);
    }
    return e;
  }
}
