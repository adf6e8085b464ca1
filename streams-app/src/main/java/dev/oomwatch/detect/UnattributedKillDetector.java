package dev.oomwatch.detect;

import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Optional;

/**
 * KERNEL_OOM_KILL for the host as a whole: the kernel killed a Redis process that no watched
 * instance could be matched to (an instance the collector does not sample, or a kill inferred
 * from vmstat only). Holds for the event hold window.
 */
public final class UnattributedKillDetector {
  private UnattributedKillDetector() {}

  public static Optional<Finding> evaluate(
      final Long killMs, final String description, final long nowMs, final DetectionConfig config) {
    if (killMs == null || nowMs - killMs > config.eventHold().toMillis()) {
      return Optional.empty();
    }
    return Optional.of(new Finding(AlertType.KERNEL_OOM_KILL, Severity.CRITICAL,
        "The kernel OOM killer killed " + description + " on this host; no watched instance matched it.",
        Evidence.with().put("killedAtMs", killMs).put("victim", description).map(),
        "dmesg | grep -i 'killed process'; is every Redis on this host in the collector's redis.uris?",
        "Add the instance to the collector, then size its memory limit for RSS plus copy-on-write."));
  }
}
