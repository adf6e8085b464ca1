package dev.oomwatch.streams;

import dev.oomwatch.schema.CgroupMemory;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.KernelEventKind;
import dev.oomwatch.schema.KernelEventSource;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.ProcessRole;
import dev.oomwatch.schema.RedisConfig;
import dev.oomwatch.schema.RedisSample;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds realistic series for one host with one Redis instance: what a collector would publish
 * for a server (pid, run id) in a memory cgroup, forking and being killed. Sizes in MB.
 */
final class Series {
  static final long MB = 1024L * 1024;
  static final long T0 = 1_795_000_000_000L;

  final String host;
  final String instance;
  final String cgroup;
  final long limitMb;
  long pid = 4242;
  String runId = "a".repeat(40);
  long startedAtMs = T0 - 3_600_000;
  boolean persistent = true;
  long maxmemoryMb;
  Long lastCowMb;
  long oomErrors;
  String thp = "never";
  int overcommit = 1;
  long totalForks;
  Boolean disableThp;
  String bgsaveStatus = "ok";
  Boolean stopWrites = true;
  long replicas;
  long backlogMb = 1;
  long syncFull;
  List<String> replicaStates = List.of();
  String redisVersion = "7.0.15";
  String pod;
  String cluster;

  Series(final String host, final int port, final String cgroup, final long limitMb) {
    this.host = host;
    this.instance = host + ":" + port;
    this.cgroup = cgroup;
    this.limitMb = limitMb;
    this.maxmemoryMb = limitMb / 2;
  }

  RedisSample redis(final long ts, final long usedMb, final long rssMb, final boolean forking, final Double forkPerc) {
    final RedisConfig config = RedisConfig.newBuilder().setReadAtMs(ts).setMaxmemory(maxmemoryMb * MB)
        .setSave(persistent ? "3600 1 300 100 60 10000" : "").setAppendonly(false)
        .setClientOutputBufferLimit("normal 64mb 32mb 60 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
        .setActivedefrag(false).setOomScoreAdj("no").setDisableThp(disableThp)
        .setStopWritesOnBgsaveError(stopWrites).build();
    return RedisSample.newBuilder()
        .setHost(host).setInstance(instance).setTimestampMs(ts).setReachable(true)
        .setRedisVersion(redisVersion).setPodName(pod).setPodNamespace(pod == null ? null : "shop").setRunId(runId).setProcessId(pid).setUptimeInSeconds((ts - startedAtMs) / 1000)
        .setUsedMemory(usedMb * MB).setUsedMemoryRss(rssMb * MB).setMaxmemory(maxmemoryMb * MB)
        .setMemFragmentationRatio((double) rssMb / usedMb).setTotalSystemMemory(16_384 * MB)
        .setRdbBgsaveInProgress(forking).setAofRewriteInProgress(false).setModuleForkInProgress(false)
        .setRdbLastCowSize(lastCowMb == null ? 0L : lastCowMb * MB).setAofLastCowSize(0L)
        .setCurrentCowSize(0L).setCurrentForkPerc(forkPerc == null ? 0.0 : forkPerc)
        .setCurrentSaveKeysProcessed(0L).setCurrentSaveKeysTotal(0L)
        .setAofEnabled(false).setLatestForkUsec(12_000L).setTotalForks(totalForks)
        .setErrorstats(Map.of("OOM", oomErrors)).setConnectedClients(10L).setTotalKeys(1_000_000L)
        .setTopClients(List.of()).setMonitorClients(0L).setTotalClientOmem(0L)
        .setConfig(config)
        .setRdbLastBgsaveStatus(bgsaveStatus).setRole("master").setConnectedSlaves(replicas)
        .setReplBacklogSize(backlogMb * MB).setSyncFull(syncFull).setReplicaStates(replicaStates)
        .setUsedMemoryDataset(usedMb * MB * 9 / 10).setCluster(cluster)
        .build();
  }

  RedisSample unreachable(final long ts) {
    return RedisSample.newBuilder().setHost(host).setInstance(instance).setTimestampMs(ts).setReachable(false)
        .setUnreachableReason("REFUSED: Connection refused").build();
  }

  /** The kernel's view: the server's RSS, its fork child's (if any) and the cgroup's usage. */
  HostSample kernel(final long ts, final long serverRssMb, final Long childPid, final long childRssMb, final long usageMb) {
    final CgroupMemory memory = CgroupMemory.newBuilder().setPath(cgroup).setVersion(1)
        .setUsage(usageMb * MB).setLimit(limitMb == 0 ? null : limitMb * MB).setOomKill(0L).build();
    final List<ProcessMemory> processes = new ArrayList<>();
    processes.add(ProcessMemory.newBuilder().setPid(pid).setPpid(1).setComm("redis-server").setRole(ProcessRole.SERVER)
        .setServerPid(pid).setListenPorts(List.of(Integer.parseInt(instance.substring(instance.indexOf(':') + 1))))
        .setVmRss(serverRssMb * MB).setCgroup(memory).build());
    if (childPid != null) {
      processes.add(ProcessMemory.newBuilder().setPid(childPid).setPpid(pid).setComm("redis-server")
          .setRole(ProcessRole.FORK_CHILD).setServerPid(pid).setVmRss(childRssMb * MB).setCgroup(memory).build());
    }
    return HostSample.newBuilder().setHost(host).setTimestampMs(ts).setMemTotal(16_384 * MB)
        .setMemAvailable(8_000 * MB).setOomKill(0L).setOvercommitMemory(overcommit).setThpEnabled(thp).setCluster(cluster)
        .setProcesses(processes).build();
  }

  KernelEvent kill(final long ts, final long victimPid, final long anonRssMb) {
    return KernelEvent.newBuilder().setHost(host).setTimestampMs(ts).setKind(KernelEventKind.OOM_KILL)
        .setSource(KernelEventSource.KMSG).setVictimPid(victimPid).setVictimComm("redis-server")
        .setConstraint("CONSTRAINT_MEMCG").setOomMemcg(cgroup).setTaskMemcg(cgroup)
        .setAnonRss(anonRssMb * MB).setMemcgUsage(limitMb * MB).setMemcgLimit(limitMb * MB)
        .build();
  }

  /** The supervisor brings the server back: new pid, new run id, uptime from zero. */
  void restart(final long ts, final long newPid) {
    pid = newPid;
    runId = Long.toHexString(newPid).repeat(40).substring(0, 40);
    startedAtMs = ts;
  }
}
