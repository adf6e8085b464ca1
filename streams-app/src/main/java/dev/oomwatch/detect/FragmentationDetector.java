package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Optional;

/** FRAGMENTATION_HIGH: mem_fragmentation_ratio above 1.5, sustained (5 min), on more than 100 MB. */
public final class FragmentationDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.FRAGMENTATION_HIGH;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    if (state.fragmentationHighSinceMs == null
        || now.timestampMs() - state.fragmentationHighSinceMs < config.fragmentationSustain().toMillis()) {
      return Optional.empty();
    }
    return Optional.of(new Finding(type(), Severity.WARNING,
        now.instance() + " has been fragmented for " + (now.timestampMs() - state.fragmentationHighSinceMs) / 60_000
            + " min: RSS is " + String.format(java.util.Locale.ROOT, "%.2f", now.fragmentationRatio())
            + "x used_memory (" + Evidence.human(now.usedMemoryRss()) + " for " + Evidence.human(now.usedMemory()) + ").",
        Evidence.with().put("fragmentationRatio", now.fragmentationRatio()).put("usedMemory", now.usedMemory())
            .put("usedMemoryRss", now.usedMemoryRss()).put("highSinceMs", state.fragmentationHighSinceMs).map(),
        "redis-cli INFO memory | grep -E 'mem_fragmentation_ratio|allocator_frag_ratio'",
        "MEMORY PURGE for a quick drop; activedefrag yes (Redis 4.0+) with active-defrag-cpu-max capped for lasting relief."));
  }
}
