package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Optional;

/** FORK_SLOW: the latest fork took more than 500 ms (the event loop was blocked that long). */
public final class ForkSlowDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.FORK_SLOW;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    if (now.latestForkUsec() == null || now.latestForkUsec() / 1000 <= config.forkSlowMs()) {
      return Optional.empty();
    }
    return Optional.of(new Finding(type(), Severity.WARNING,
        "The latest fork of " + now.instance() + " took " + now.latestForkUsec() / 1000
            + " ms, blocking every client that long; slow forks go with heavy copy-on-write.",
        Evidence.with().put("latestForkUsec", now.latestForkUsec()).put("usedMemory", now.usedMemory()).map(),
        "redis-cli INFO stats | grep latest_fork_usec; cat /sys/kernel/mm/transparent_hugepage/enabled",
        "Disable THP (echo never > /sys/kernel/mm/transparent_hugepage/enabled), keep the dataset per instance smaller."));
  }
}
