package dev.oomwatch.detect;

import dev.oomwatch.schema.KernelEvent;

/**
 * Whose memory ran out in a kernel OOM kill: the victim's own cgroup (a container's limit), a
 * cgroup above it (its pod's limit, or a slice's), or the whole host ({@code global_oom}, "Out of
 * memory" without "Memory cgroup"). From the kill record's {@code oom_memcg} against its
 * {@code task_memcg}. Pure.
 */
public final class KillScope {
  public static final String CONTAINER = "CONTAINER";
  public static final String POD = "POD";
  public static final String PARENT = "PARENT_CGROUP";
  public static final String HOST = "HOST";

  private KillScope() {}

  /** One of the constants above; null when the record does not say. */
  public static String of(final KernelEvent kill) {
    final String constraint = kill.getConstraint();
    final String oom = kill.getOomMemcg();
    final String task = kill.getTaskMemcg();
    if ("CONSTRAINT_NONE".equals(constraint) || (constraint == null && "/".equals(oom))) {
      return HOST;
    }
    if (oom == null || "/".equals(oom)) {
      return "CONSTRAINT_MEMCG".equals(constraint) ? null : constraint == null ? null : HOST;
    }
    if (task == null || oom.equals(task)) {
      return CONTAINER;
    }
    if (task.startsWith(oom + "/")) {
      final String last = oom.substring(oom.lastIndexOf('/') + 1);
      return last.startsWith("pod") || last.contains("-pod") ? POD : PARENT;
    }
    return CONTAINER;
  }
}
