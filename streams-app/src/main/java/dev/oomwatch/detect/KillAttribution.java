package dev.oomwatch.detect;

import dev.oomwatch.schema.KernelEvent;
import java.util.Map;
import java.util.Set;

/**
 * Which instance a kernel kill belongs to, and whether its server or its fork child died: by pid
 * first (the server pids and fork-child pids seen in its snapshots), then, for a kill whose pid is
 * unknown to us or inferred from counters, by the cgroup. Pure.
 */
public final class KillAttribution {
  public static final Set<String> REDIS_NAMES = Set.of("redis-server", "valkey-server", "redis-rdb-bgsave",
      "redis-aof-rewrite");

  /**
   * An instance and the role of the process killed in it: SERVER, FORK_CHILD or UNKNOWN. For a
   * group kill, {@code role} is what the instance lost (SERVER when its server was among the
   * tasks killed), {@code chosenRole} the role of the task the kernel picked first.
   */
  public record Attributed(String instance, String role, String chosenRole) {
    public Attributed(final String instance, final String role) {
      this(instance, role, role);
    }
  }

  private KillAttribution() {}

  public static Attributed attribute(final KernelEvent kill, final Map<String, InstanceState> instances) {
    final Attributed chosen = attributeVictim(kill, instances);
    if (!kill.getGroupKill()) {
      return chosen;
    }
    // the whole cgroup died: an instance whose server was among the others lost its server
    for (final dev.oomwatch.schema.OomTask task : kill.getGroupVictims()) {
      for (final Map.Entry<String, InstanceState> e : instances.entrySet()) {
        if (isServer(task.getPid(), e.getValue())) {
          final boolean same = chosen != null && chosen.instance().equals(e.getKey());
          return new Attributed(e.getKey(), "SERVER", same ? chosen.role() : "UNKNOWN");
        }
      }
    }
    return chosen;
  }

  static boolean isServer(final Long pid, final InstanceState s) {
    final Long current = s.latest() == null ? null : s.latest().pid();
    return pid.equals(current) || s.serverPids.contains(pid);
  }

  private static Attributed attributeVictim(final KernelEvent kill, final Map<String, InstanceState> instances) {
    final Long pid = kill.getVictimPid();
    if (pid != null) {
      for (final Map.Entry<String, InstanceState> e : instances.entrySet()) {
        final InstanceState s = e.getValue();
        // a server pid of the instance, current or earlier: the kill can be read after the restart
        if (isServer(pid, s)) {
          return new Attributed(e.getKey(), "SERVER");
        }
        if (s.childPids.contains(pid)) {
          return new Attributed(e.getKey(), "FORK_CHILD");
        }
      }
    }
    final String cgroup = kill.getTaskMemcg();
    if (cgroup != null && !cgroup.equals("/")) {
      for (final Map.Entry<String, InstanceState> e : instances.entrySet()) {
        if (cgroup.equals(e.getValue().cgroupPath)) {
          final InstanceState s = e.getValue();
          final Long server = s.latest() == null ? null : s.latest().pid();
          // A redis process in its cgroup that is not its server is, in practice, its fork child.
          final String role = pid == null || server == null ? "UNKNOWN"
              : isRedis(kill.getVictimComm()) && !pid.equals(server) ? "FORK_CHILD" : "UNKNOWN";
          return new Attributed(e.getKey(), role);
        }
      }
    }
    return null;
  }

  public static boolean isRedis(final String comm) {
    return comm != null && REDIS_NAMES.contains(comm);
  }
}
