package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Optional;

/**
 * KERNEL_OOM_KILL: the kernel killed this instance's server (cold restart ahead, cache lost:
 * CRITICAL) or its fork child (the save failed, the server lives: WARNING), or, on a cgroup with
 * memory.oom.group, its whole container (CRITICAL whoever the kernel chose first). Holds for the
 * event hold window after the kill.
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
    // a group kill took the whole container: critical unless its server was spared (-1000)
    final boolean child = "FORK_CHILD".equals(kill.role())
        && (!kill.groupKill() || now.pid() != null && kill.sparedPids().contains(now.pid()));
    final String who = kill.groupKill() ? "the whole container (memory.oom.group)" : switch (kill.role()) {
      case "SERVER" -> "redis-server (pid " + kill.pid() + ") itself: the instance restarts with a cold cache";
      case "FORK_CHILD" -> "the fork child (pid " + kill.pid() + "): the save failed, the server is still up";
      default -> "a process of this instance" + (kill.pid() == null ? "" : " (pid " + kill.pid() + ")");
    };
    final KillExplanation why = kill.explanation();
    final Evidence evidence = Evidence.with();
    if (why != null) {
      why.into(evidence);
    }
    return Optional.of(new Finding(type(), child ? Severity.WARNING : Severity.CRITICAL,
        "The kernel OOM killer killed " + who + " on " + now.instance()
            + (named(state, now).pod() != null ? " (pod " + named(state, now).pod() + ")" : "") + whatRanOut(kill)
            + (kill.groupKill() ? ": " + group(kill) : "") + "."
            + (why == null ? "" : why.sentence()),
        evidence.put("victimPid", kill.pid()).put("victimRole", kill.role()).put("victimAnonRss", kill.anonRss())
            .put("limitBytes", kill.limit()).put("cgroup", kill.cgroup()).put("killedAtMs", kill.timestampMs())
            .put("inferredFromCounters", kill.inferred() ? "true" : null)
            .put("limitHit", kill.scope()).put("oomCgroup", kill.oomCgroup()).put("pod", named(state, now).pod())
            .put("container", named(state, now).containerName())
            .put("groupKill", kill.groupKill() ? "true" : null).put("groupCgroup", kill.groupCgroup())
            .put("chosenPid", kill.groupKill() ? kill.chosenPid() : null)
            .put("chosenRole", kill.groupKill() ? kill.chosenRole() : null)
            .put("groupPids", kill.groupKill() ? join(kill.groupPids()) : null)
            .put("sparedPids", kill.sparedPids().isEmpty() ? null : join(kill.sparedPids())).map(),
        "dmesg | grep -i 'killed process'; compare used_memory_rss before the kill with the limit",
        kill.groupKill()
            ? "On this node an OOM kills the whole container (memory.oom.group, set by the kubelet on cgroup v2 since "
                + "Kubernetes 1.28): a fork's copy-on-write that overruns the limit takes the server with it. Size the "
                + "limit for the fork's peak (RSS plus copy-on-write), or set the kubelet's singleProcessOOMKill=true "
                + "(Kubernetes 1.32+) so only the task the kernel picks dies."
            : child
            ? "Give the fork room for copy-on-write (raise the limit or lower used_memory), or accept failed saves; "
                + "oom-score-adj keeps sacrificing the child instead of the server."
            : "Size the limit for the physical memory Redis occupies, not used_memory: RSS plus copy-on-write "
                + "during saves. Keep used_memory under 50% of the limit on persistent instances."));
  }

  /**
   * The snapshot that names the instance's pod and container: {@code now}, or, when it names none
   * (a sample of the server no longer answering carries no names), the last one of it answering.
   */
  public static InstanceSnapshot named(final InstanceState state, final InstanceSnapshot now) {
    if (now == null || now.podName() != null || now.containerName() != null || state.lastRedis == null) {
      return now;
    }
    return state.lastRedis;
  }

  /** What a group kill took: the task the kernel chose, then every other task of the cgroup. */
  private static String group(final KillRecord kill) {
    final String chosen = switch (String.valueOf(kill.chosenRole())) {
      case "FORK_CHILD" -> "the fork child (pid " + kill.chosenPid() + ")";
      case "SERVER" -> "redis-server (pid " + kill.chosenPid() + ")";
      default -> "pid " + kill.chosenPid();
    };
    final boolean server = "SERVER".equals(kill.role());
    final int others = kill.groupPids().size() - (server && !"SERVER".equals(kill.chosenRole()) ? 1 : 0);
    return "it chose " + chosen + ", then killed "
        + (server && !"SERVER".equals(kill.chosenRole()) ? "redis-server (pid " + kill.pid() + ") and " : "")
        + others + " other task" + (others == 1 ? "" : "s") + " of " + kill.groupCgroup()
        + (server ? "; the instance restarts with a cold cache" : "")
        + (kill.sparedPids().isEmpty() ? "" : "; spared (oom_score_adj -1000): pid " + join(kill.sparedPids()));
  }

  private static String join(final java.util.List<Long> pids) {
    return pids.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","));
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
