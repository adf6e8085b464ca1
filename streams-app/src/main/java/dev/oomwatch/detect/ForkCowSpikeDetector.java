package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Optional;

/**
 * FORK_COW_SPIKE, during a fork: physical memory rose well above its pre-fork baseline (or Redis's
 * own current_cow_size says as much), by enough to eat into the headroom under the limit.
 * Copy-on-write at work, seen while it happens; a small instance far under its limit stays quiet.
 */
public final class ForkCowSpikeDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.FORK_COW_SPIKE;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    if (!now.forking() || state.forkBaseline == null || now.physical() == null) {
      return Optional.empty();
    }
    final long baseline = state.forkBaseline;
    final long rise = Math.max(now.physical() - baseline, now.currentCowSize() == null ? 0 : now.currentCowSize());
    final Long limit = now.limit();
    final long headroom = limit == null ? Long.MAX_VALUE : Math.max(0, limit - baseline);
    if (rise < config.forkSpikeMinBytes() || rise < config.forkSpikeRatio() * baseline
        || rise < config.forkSpikeHeadroomShare() * headroom) {
      return Optional.empty();
    }
    final boolean nearLimit = limit != null && now.physical() >= config.rssNearLimit() * limit;
    return Optional.of(new Finding(type(), nearLimit ? Severity.CRITICAL : Severity.WARNING,
        "A fork of " + now.instance() + " is copying memory: physical memory rose " + Evidence.human(rise)
            + " above its pre-fork " + Evidence.human(baseline) + " to " + Evidence.human(now.physical())
            + (limit != null ? " of a " + Evidence.human(limit) + " limit." : "."),
        Evidence.with().put("baselineBytes", baseline).put("physicalBytes", now.physical()).put("riseBytes", rise)
            .put("cgroupUsageBytes", now.cgroupUsage())
            .put("currentCowSize", now.currentCowSize()).put("limitBytes", limit)
            .put("childPid", now.childPid()).put("childRss", now.childRss())
            .put("forkRunningMs", state.forkStartMs == null ? null : now.timestampMs() - state.forkStartMs).map(),
        "redis-cli INFO persistence (rdb_bgsave_in_progress, aof_rewrite_in_progress, current_cow_size); "
            + "the write rate during the save",
        "Give persistent instances headroom for the copy (used_memory under 50% of the limit), disable THP, "
            + "and move BGSAVE / AOF rewrites to quiet times."));
  }
}
