package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Optional;

/**
 * REDIS_OOM_ERRORS: Redis itself refused writes at maxmemory (errorstat_OOM rising). Not a kernel
 * kill: the fix is different (eviction policy or maxmemory), so it is kept apart.
 */
public final class RedisOomErrorsDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.REDIS_OOM_ERRORS;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    if (state.oomErrorsRoseAtMs == null || now.timestampMs() - state.oomErrorsRoseAtMs > config.resolveAfter().toMillis()) {
      return Optional.empty();
    }
    return Optional.of(new Finding(type(), Severity.WARNING,
        now.instance() + " is refusing writes with -OOM: used_memory reached maxmemory ("
            + Evidence.human(now.maxmemory()) + ") under policy that cannot evict. This is Redis's limit, not the kernel's.",
        Evidence.with().put("errorstatOom", now.oomErrors()).put("usedMemory", now.usedMemory())
            .put("maxmemory", now.maxmemory()).map(),
        "redis-cli INFO errorstats; CONFIG GET maxmemory-policy",
        "Choose an eviction policy that fits the data (allkeys-lru for caches), or raise maxmemory within the "
            + "physical headroom; do not confuse with kernel OOM kills."));
  }
}
