package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Optional;

/**
 * KERNEL_OOM_KILL: the kernel killed this instance's server (cold restart ahead, cache lost:
 * CRITICAL) or its fork child (the save failed, the server lives: WARNING). Holds for the event
 * hold window after the kill.
 */
public final class KernelOomKillDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.KERNEL_OOM_KILL;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    final KillRecord kill = state.lastKill;
    if (kill == null || now.timestampMs() - kill.timestampMs() > config.eventHold().toMillis()) {
      return Optional.empty();
    }
    final boolean child = "FORK_CHILD".equals(kill.role());
    final String who = switch (kill.role()) {
      case "SERVER" -> "redis-server (pid " + kill.pid() + ") itself: the instance restarts with a cold cache";
      case "FORK_CHILD" -> "the fork child (pid " + kill.pid() + "): the save failed, the server is still up";
      default -> "a process of this instance" + (kill.pid() == null ? "" : " (pid " + kill.pid() + ")");
    };
    return Optional.of(new Finding(type(), child ? Severity.WARNING : Severity.CRITICAL,
        "The kernel OOM killer killed " + who + " on " + now.instance()
            + (kill.limit() != null ? " at its " + Evidence.human(kill.limit()) + " limit" : "") + ".",
        Evidence.with().put("victimPid", kill.pid()).put("victimRole", kill.role()).put("victimAnonRss", kill.anonRss())
            .put("limitBytes", kill.limit()).put("cgroup", kill.cgroup()).put("killedAtMs", kill.timestampMs())
            .put("inferredFromCounters", kill.inferred() ? "true" : null).map(),
        "dmesg | grep -i 'killed process'; compare used_memory_rss before the kill with the limit",
        child
            ? "Give the fork room for copy-on-write (raise the limit or lower used_memory), or accept failed saves; "
                + "oom-score-adj keeps sacrificing the child instead of the server."
            : "Size the limit for the physical memory Redis occupies, not used_memory: RSS plus copy-on-write "
                + "during saves. Keep used_memory under 50% of the limit on persistent instances."));
  }
}
