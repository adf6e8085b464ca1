package dev.oomwatch.archive;

import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.CgroupMemory;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.KernelEventKind;
import dev.oomwatch.schema.KernelEventSource;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.ProcessRole;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.schema.Severity;
import java.util.List;
import java.util.Map;

/** Small, valid records of every archived type, with the figures the documented questions ask about. */
final class FixtureRecords {
  static final long MB = 1024L * 1024;
  /** 2026-11-26T10:00:00Z */
  static final long T0 = 1_795_687_200_000L;

  private FixtureRecords() {}

  static RedisSample redis(final String host, final int port, final long ts, final long usedMb, final long rssMb,
      final long pid, final Long lastCowMb, final boolean forking) {
    return RedisSample.newBuilder().setHost(host).setInstance(host + ":" + port).setTimestampMs(ts).setReachable(true)
        .setRedisVersion("7.0.15").setRunId("r" + pid).setProcessId(pid).setUsedMemory(usedMb * MB)
        .setUsedMemoryRss(rssMb * MB).setMaxmemory(0L).setTotalSystemMemory(16_384 * MB)
        .setRdbLastCowSize(lastCowMb == null ? null : lastCowMb * MB).setRdbBgsaveInProgress(forking)
        .setAofRewriteInProgress(false).setErrorstats(Map.of("OOM", 0L)).build();
  }

  static HostSample host(final String host, final long ts, final int overcommit, final long serverPid,
      final long serverRssMb, final Long childPid, final long childRssMb, final String cgroup, final long usageMb,
      final long anonMb, final long limitMb) {
    final CgroupMemory cg = CgroupMemory.newBuilder().setPath(cgroup).setVersion(1).setUsage(usageMb * MB)
        .setAnon(anonMb * MB).setLimit(limitMb * MB).build();
    final List<ProcessMemory> processes = new java.util.ArrayList<>();
    processes.add(ProcessMemory.newBuilder().setPid(serverPid).setPpid(1).setComm("redis-server")
        .setRole(ProcessRole.SERVER).setServerPid(serverPid).setVmRss(serverRssMb * MB).setCgroup(cg).build());
    if (childPid != null) {
      processes.add(ProcessMemory.newBuilder().setPid(childPid).setPpid(serverPid).setComm("redis-server")
          .setRole(ProcessRole.FORK_CHILD).setServerPid(serverPid).setVmRss(childRssMb * MB).setCgroup(cg).build());
    }
    return HostSample.newBuilder().setHost(host).setTimestampMs(ts).setMemTotal(16_384 * MB)
        .setOvercommitMemory(overcommit).setThpEnabled("never").setProcesses(processes).build();
  }

  static KernelEvent kill(final String host, final long ts, final long pid, final String cgroup) {
    return KernelEvent.newBuilder().setHost(host).setTimestampMs(ts).setKind(KernelEventKind.OOM_KILL)
        .setSource(KernelEventSource.KMSG).setVictimPid(pid).setVictimComm("redis-server")
        .setConstraint("CONSTRAINT_MEMCG").setTaskMemcg(cgroup).build();
  }

  static Alert alert(final String host, final String instance, final AlertType type, final Severity severity,
      final AlertStatus status, final long ts) {
    return Alert.newBuilder().setAlertId(host + "/" + instance + "/" + type + "/" + ts).setType(type)
        .setSeverity(severity).setStatus(status).setHost(host).setInstance(instance).setFiredAtMs(ts)
        .setEventTimeMs(ts).setSummary(type + " on " + instance).setEvidence(Map.of("limitBytes", "600"))
        .setFirstCheck("look").setFix("fix").build();
  }
}
