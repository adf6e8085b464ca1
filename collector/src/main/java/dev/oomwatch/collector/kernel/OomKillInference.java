package dev.oomwatch.collector.kernel;

import dev.oomwatch.schema.CgroupMemory;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.KernelEventKind;
import dev.oomwatch.schema.KernelEventSource;
import dev.oomwatch.schema.ProcessMemory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Where the kernel log cannot be read (an unprivileged container), kills are inferred from the
 * counters between two host samples: a cgroup's oom_kill count rising says a process in that
 * cgroup was killed (which one is unknown); /proc/vmstat's oom_kill rising with no cgroup to
 * blame says a kill happened somewhere on the host. A cgroup whose processes all died is read
 * again through {@code reread}, since the kill is exactly what emptied it. Pure apart from that.
 */
public final class OomKillInference {
  private OomKillInference() {}

  public static List<KernelEvent> between(
      final HostSample before, final HostSample after, final UnaryOperator<CgroupMemory> reread) {
    final List<KernelEvent> events = new ArrayList<>();
    if (before == null || after == null) {
      return events;
    }
    final Map<String, CgroupMemory> old = cgroups(before);
    final Map<String, CgroupMemory> current = cgroups(after);
    old.forEach((path, then) -> {
      if (!current.containsKey(path)) {
        final CgroupMemory again = reread.apply(then);
        if (again != null) {
          current.put(path, again);
        }
      }
    });
    long attributed = 0;
    for (final CgroupMemory now : current.values()) {
      final CgroupMemory then = old.get(now.getPath());
      if (then == null || then.getOomKill() == null || now.getOomKill() == null) {
        continue;
      }
      final long kills = now.getOomKill() - then.getOomKill();
      for (long i = 0; i < kills; i++) {
        events.add(event(after, KernelEventSource.CGROUP_COUNTER, now.getPath(), now));
      }
      attributed += Math.max(0, kills);
    }
    if (before.getOomKill() != null && after.getOomKill() != null) {
      final long unattributed = after.getOomKill() - before.getOomKill() - attributed;
      for (long i = 0; i < unattributed; i++) {
        events.add(event(after, KernelEventSource.VMSTAT_COUNTER, null, null));
      }
    }
    return events;
  }

  private static KernelEvent event(
      final HostSample after, final KernelEventSource source, final String cgroup, final CgroupMemory memory) {
    dev.oomwatch.wire.TrustedSchemaClasses.install();
    return KernelEvent.newBuilder()
        .setHost(after.getHost())
        .setTimestampMs(after.getTimestampMs())
        .setKind(KernelEventKind.OOM_KILL_INFERRED)
        .setSource(source)
        .setTaskMemcg(cgroup)
        .setOomMemcg(cgroup)
        .setConstraint(cgroup == null ? null : "CONSTRAINT_MEMCG")
        .setMemcgUsage(memory == null ? null : memory.getUsage())
        .setMemcgLimit(memory == null ? null : memory.getLimit())
        .build();
  }

  private static Map<String, CgroupMemory> cgroups(final HostSample sample) {
    final Map<String, CgroupMemory> map = new HashMap<>();
    for (final ProcessMemory p : sample.getProcesses()) {
      if (p.getCgroup() != null) {
        map.putIfAbsent(p.getCgroup().getPath(), p.getCgroup());
      }
    }
    return map;
  }
}
