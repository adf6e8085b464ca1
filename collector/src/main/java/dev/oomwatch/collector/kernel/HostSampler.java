package dev.oomwatch.collector.kernel;

import dev.oomwatch.collector.container.ContainerNamer;
import dev.oomwatch.schema.CgroupMemory;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.ProcessRole;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Takes one {@link HostSample}: /proc/meminfo, vmstat's oom_kill, the overcommit sysctls, THP,
 * PSI, and every redis-server with its fork children and their memory cgroups. Every read that
 * fails leaves its field null and is listed in {@code readErrors}; nothing here throws on bad input.
 */
public final class HostSampler {
  /** Servers are rediscovered this often; known ones are re-read every sample. */
  private static final long RESCAN_MS = 5_000;
  /** The serverPid of a fork child whose server is gone: no pid is 0. */
  public static final long NO_SERVER = 0;

  private final String host;
  private final KernelPaths paths;
  private final ProcessScanner scanner;
  private List<Long> servers = List.of();
  private List<Long> orphans = List.of();
  private long lastScanMs = Long.MIN_VALUE / 2;

  public HostSampler(final String host, final KernelPaths paths, final Set<String> serverNames, final boolean readSmaps) {
    this(host, paths, serverNames, readSmaps, null);
  }

  public HostSampler(final String host, final KernelPaths paths, final Set<String> serverNames, final boolean readSmaps,
      final ContainerNamer namer) {
    this.host = host;
    this.paths = paths;
    this.scanner = new ProcessScanner(paths, serverNames, readSmaps, namer);
  }

  public ProcessScanner scanner() {
    return scanner;
  }

  /** The server pids found by the last scan (re-scanning if it is old). */
  public synchronized List<Long> servers(final long nowMs) {
    if (nowMs - lastScanMs >= RESCAN_MS) {
      final ProcessScanner.Found found = scanner.find(new FileReads());
      servers = found.servers();
      orphans = found.orphanedChildren();
      lastScanMs = nowMs;
    }
    return servers;
  }

  private synchronized List<Long> orphansOfLastScan() {
    return orphans;
  }

  /** Forces a re-scan at the next sample: a known server vanished or a new one may exist. */
  public synchronized void rescanSoon() {
    lastScanMs = Long.MIN_VALUE / 2;
  }

  /** Reads one cgroup again by itself (for kill inference when its processes are gone). */
  public CgroupMemory reread(final CgroupMemory cgroup) {
    final CgroupRef ref = new CgroupRef(cgroup.getVersion(), cgroup.getPath());
    final Path dir = paths.cgroupDir(ref);
    final FileReads reads = new FileReads();
    return CgroupMemoryParser.parse(ref, file -> reads.readOptional(dir.resolve(file)));
  }

  public HostSample sample(final long nowMs) {
    final FileReads reads = new FileReads();
    final Path proc = paths.proc();
    final Map<String, Long> meminfo = KeyValueText.numbers(reads.read(proc.resolve("meminfo")));
    final Map<String, Long> vmstat = KeyValueText.numbers(reads.read(proc.resolve("vmstat")));
    final Path mm = paths.sys().resolve("kernel/mm/transparent_hugepage");
    final HostSample.Builder b = HostSample.newBuilder()
        .setHost(host)
        .setTimestampMs(nowMs)
        .setMemTotal(meminfo.get("MemTotal"))
        .setMemAvailable(meminfo.get("MemAvailable"))
        .setCommittedAs(meminfo.get("Committed_AS"))
        .setCommitLimit(meminfo.get("CommitLimit"))
        .setSwapTotal(meminfo.get("SwapTotal"))
        .setSwapFree(meminfo.get("SwapFree"))
        .setOomKill(vmstat.get("oom_kill"))
        .setOvercommitMemory(KeyValueText.integer(reads.read(proc.resolve("sys/vm/overcommit_memory"))))
        .setOvercommitRatio(KeyValueText.integer(reads.read(proc.resolve("sys/vm/overcommit_ratio"))))
        .setThpEnabled(KeyValueText.selected(reads.readOptional(mm.resolve("enabled"))))
        .setThpDefrag(KeyValueText.selected(reads.readOptional(mm.resolve("defrag"))));
    final String psi = reads.readOptional(proc.resolve("pressure/memory"));
    b.setPsiMemorySomeAvg10(KeyValueText.psiAvg10(psi, "some"))
        .setPsiMemoryFullAvg10(KeyValueText.psiAvg10(psi, "full"));

    final List<ProcessMemory> processes = new ArrayList<>();
    final Map<CgroupRef, CgroupMemory> cgroups = new HashMap<>();
    boolean vanished = false;
    for (final long server : servers(nowMs)) {
      final ProcessMemory memory = scanner.read(server, ProcessRole.SERVER, server, reads, cgroups);
      if (memory == null) {
        vanished = true;
        continue;
      }
      processes.add(memory);
      for (final long child : scanner.children(server)) {
        final ProcessMemory childMemory = scanner.read(child, ProcessRole.FORK_CHILD, server, reads, cgroups);
        if (childMemory != null) {
          processes.add(childMemory);
        }
      }
    }
    // A fork child whose server died (its parent is init now): still holding memory in the cgroup
    // until its save ends, so it is reported, as a child of no server. Matched to an instance by
    // its port it would look like the restarted server, or like that server forking.
    for (final long orphan : orphansOfLastScan()) {
      final ProcessMemory memory = scanner.read(orphan, ProcessRole.FORK_CHILD, NO_SERVER, reads, cgroups);
      if (memory == null) {
        vanished = true;
      } else {
        processes.add(memory);
      }
    }
    if (vanished) {
      rescanSoon();
    }
    return b.setProcesses(processes).setReadErrors(new LinkedHashMap<>(reads.errors())).build();
  }
}
