package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Optional;

/** RSS_NEAR_LIMIT: physical memory / limit above 0.75 on an instance that forks (0.9: CRITICAL). */
public final class RssNearLimitDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.RSS_NEAR_LIMIT;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    final Long physical = now.physical();
    final Long limit = now.limit();
    final boolean forks = Boolean.TRUE.equals(now.persistent()) || (now.totalForks() != null && now.totalForks() > 0);
    if (!forks || physical == null || limit == null || limit <= 0) {
      return Optional.empty();
    }
    final double ratio = (double) physical / limit;
    if (ratio <= config.rssNearLimit()) {
      return Optional.empty();
    }
    return Optional.of(new Finding(type(), ratio > config.rssCritical() ? Severity.CRITICAL : Severity.WARNING,
        now.instance() + " holds " + Evidence.human(physical) + " of physical memory, " + Evidence.percent(ratio)
            + " of its " + Evidence.human(limit) + " limit (" + now.limitSource() + "), while Redis reports used_memory "
            + Evidence.human(now.usedMemory()) + "; the next fork has no room to copy.",
        Evidence.with().put("physicalBytes", physical).put("limitBytes", limit).put("ratio", ratio)
            .put("cgroupUsageBytes", now.cgroupUsage())
            .put("usedMemory", now.usedMemory()).put("usedMemoryRss", now.usedMemoryRss()).map(),
        "redis-cli INFO memory: used_memory vs used_memory_rss; the cgroup's memory.usage / memory.current",
        "Alert on RSS against the real limit, not on used_memory; raise the limit or lower maxmemory to leave room for COW."));
  }
}
