package dev.oomwatch.join;

import dev.oomwatch.schema.CgroupMemory;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.ProcessRole;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The part of a {@link HostSample} the detectors use, kept in the streams-app's state: the host's
 * memory and settings, and each redis-server and fork child with its cgroup.
 */
public record KernelView(
    long timestampMs,
    Long memTotal,
    Integer overcommitMemory,
    String thpEnabled,
    Long oomKill,
    List<Proc> processes,
    String cluster) {

  /** One redis-server or fork child. */
  public record Proc(
      long pid, boolean forkChild, long serverPid, List<Integer> ports, Long vmRss, Long privateDirty,
      Integer oomScoreAdj, Cgroup cgroup, Long anonHugePages) {}

  /**
   * Its memory cgroup; limit null means no limit. {@code anon} is the cgroup's anonymous memory
   * (v1 memory.stat rss, v2 anon): what copy-on-write grows and reclaim cannot take back, unlike
   * the page cache a save writes, which {@code usage} also counts.
   */
  public record Cgroup(String path, Long usage, Long limit, Long oomKill, Long anon, Long workingSet,
      String limitPath, Long limitPathUsage, Integer version, Boolean oomGroup) {}

  public static KernelView of(final HostSample sample) {
    return new KernelView(
        sample.getTimestampMs(),
        sample.getMemTotal(),
        sample.getOvercommitMemory(),
        sample.getThpEnabled(),
        sample.getOomKill(),
        procs(sample.getProcesses()),
        sample.getCluster());
  }

  private static List<Proc> procs(final List<ProcessMemory> processes) {
    final List<Proc> out = new ArrayList<>(processes.size());
    for (final ProcessMemory p : processes) {
      out.add(proc(p));
    }
    return Collections.unmodifiableList(out);
  }

  private static Proc proc(final ProcessMemory p) {
    final CgroupMemory c = p.getCgroup();
    return new Proc(p.getPid(), p.getRole() == ProcessRole.FORK_CHILD, p.getServerPid(), List.copyOf(p.getListenPorts()),
        p.getVmRss(), p.getPrivateDirty(), p.getOomScoreAdj(),
        c == null ? null : cgroup(c), p.getAnonHugePages());
  }

  /**
   * The limit kept is the one the kernel enforces first: the smallest on the path to the root, as
   * the collector reads it; from an older collector, the cgroup's own.
   */
  private static Cgroup cgroup(final CgroupMemory c) {
    final boolean effective = c.getEffectiveLimit() != null;
    return new Cgroup(c.getPath(), c.getUsage(), effective ? c.getEffectiveLimit() : c.getLimit(), c.getOomKill(),
        c.getAnon(), c.getWorkingSet(), effective ? c.getLimitPath() : (c.getLimit() == null ? null : c.getPath()),
        effective ? c.getLimitPathUsage() : c.getUsage(), c.getVersion(), c.getOomGroup());
  }
}
