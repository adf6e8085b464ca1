package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import dev.oomwatch.sizing.Sizing;
import java.util.Optional;

/**
 * MAXMEMORY_MISSIZED: maxmemory unset, or set so high that RSS overhead and copy-on-write cannot
 * fit under the limit: above the safe maxmemory of the instance's own {@link Sizing} once it has
 * forked; before that, above 50% of the limit on a persistent instance, above it at all otherwise.
 */
public final class MaxmemoryDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.MAXMEMORY_MISSIZED;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    final Long limit = now.limit();
    final Long maxmemory = now.maxmemory();
    if (limit == null || maxmemory == null) {
      return Optional.empty();
    }
    final boolean persistent = Boolean.TRUE.equals(now.persistent());
    final long ceiling = persistent ? Math.round(config.persistentDataCeiling() * limit) : limit;
    final Sizing sizing = Sizing.of(state.sizing, now);
    // an instance's own forks say what it can hold; the flat 50% is for one that has not forked yet
    final boolean measured = sizing != null && "measured".equals(sizing.copyBasis());
    final String problem;
    if (maxmemory == 0) {
      problem = "maxmemory is not set, so nothing stops used_memory before the kernel does";
    } else if (measured && maxmemory > sizing.safeMaxmemoryBytes()) {
      problem = "maxmemory " + Evidence.human(maxmemory) + " is above the " + Evidence.human(sizing.safeMaxmemoryBytes())
          + " its worst fork survives under the " + Evidence.human(limit) + " limit (" + sizing.basis() + ")";
    } else if (!measured && maxmemory > ceiling) {
      problem = "maxmemory " + Evidence.human(maxmemory) + " leaves no room under the " + Evidence.human(limit)
          + " limit for " + (persistent ? "copy-on-write during saves (ceiling 50%)" : "RSS overhead");
    } else {
      return Optional.empty();
    }
    final Evidence evidence = Evidence.with().put("maxmemory", maxmemory).put("limitBytes", limit).put("ceilingBytes", ceiling)
        .put("persistent", persistent).put("limitSource", now.limitSource());
    if (sizing != null) {
      sizing.into(evidence);
    }
    return Optional.of(new Finding(type(), Severity.WARNING, now.instance() + ": " + problem + ".", evidence.map(),
        "redis-cli CONFIG GET maxmemory; the container or host memory limit; GET /api/sizing",
        sizing != null
            ? "From this instance's own history: " + sizing.advice() + " (" + sizing.basis() + ")."
            : "Set maxmemory to leave room for RSS overhead and COW: on persistent instances about 50% of the limit."));
  }
}
