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
            + (now.pod() != null ? " (pod " + now.pod() + ")" : "") + whatRanOut(kill) + ".",
        Evidence.with().put("victimPid", kill.pid()).put("victimRole", kill.role()).put("victimAnonRss", kill.anonRss())
            .put("limitBytes", kill.limit()).put("cgroup", kill.cgroup()).put("killedAtMs", kill.timestampMs())
            .put("inferredFromCounters", kill.inferred() ? "true" : null)
            .put("limitHit", kill.scope()).put("oomCgroup", kill.oomCgroup()).put("pod", now.pod())
            .put("container", now.containerName()).map(),
        "dmesg | grep -i 'killed process'; compare used_memory_rss before the kill with the limit",
        child
            ? "Give the fork room for copy-on-write (raise the limit or lower used_memory), or accept failed saves; "
                + "oom-score-adj keeps sacrificing the child instead of the server."
            : "Size the limit for the physical memory Redis occupies, not used_memory: RSS plus copy-on-write "
                + "during saves. Keep used_memory under 50% of the limit on persistent instances."));
  }

  /** Whose memory ran out: the container's limit, the pod's, or the whole host's. */
  static String whatRanOut(final KillRecord kill) {
    final String size = kill.limit() == null ? "" : " of " + Evidence.human(kill.limit());
    final String where = kill.oomCgroup() == null ? "" : " (cgroup " + kill.oomCgroup() + ")";
    if (kill.scope() == null) {
      return kill.limit() == null ? "" : " at its " + Evidence.human(kill.limit()) + " limit";
    }
    return switch (kill.scope()) {
      case KillScope.HOST -> ": the whole host ran out of memory (a global OOM, no cgroup limit was hit)";
      case KillScope.POD -> ": its pod's limit" + where + size + " ran out, not its container's own";
      case KillScope.PARENT -> ": the limit of a cgroup above its own" + where + size + " ran out";
      default -> ": its own cgroup's limit" + where + size + " ran out";
    };
  }
}
