package dev.oomwatch.bench;

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
import java.util.SplittableRandom;
import org.apache.avro.specific.SpecificRecord;

/**
 * A simulated fleet, one second at a time: H hosts with M Redis instances each, every instance in
 * its own memory cgroup. Each second every instance gives a Redis sample and every host a host
 * sample (its servers and fork children). Now and then an instance forks (BGSAVE, a few seconds
 * at copy-on-write growth), and now and then the kernel kills one and it restarts: the records a
 * real fleet sends, at the rates asked for.
 */
final class LoadModel {
  static final long MB = 1024L * 1024;

  private final int hosts;
  private final int instances;
  private final double forkPerInstanceSecond;
  private final double killPerInstanceSecond;
  private final SplittableRandom random;
  private final Instance[][] fleet;
  /** Hosts left at the defaults: overcommit 0, THP always, maxmemory unset, unlimited client buffers. */
  private final boolean[] untuned;

  private static final class Instance {
    long pid;
    long usedMb;
    long limitMb;
    int forkLeft;
    long childPid;
    long cowMb;
    int restartIn = -1;
    long startedMs;
    String runId;
  }

  /** A second's records, and how many of them are kills. */
  record Second(List<SpecificRecord> records, int kills) {}

  LoadModel(final int hosts, final int instances, final double forksPerInstanceHour, final double killsPerInstanceHour,
      final long seed) {
    this(hosts, instances, forksPerInstanceHour, killsPerInstanceHour, 0, seed);
  }

  /**
   * {@code untunedShare}: the share of hosts whose node and Redis settings are the defaults a real
   * fleet often keeps (vm.overcommit_memory 0, THP always, maxmemory unset, unlimited normal-client
   * buffers), so that the findings they hold (OVERCOMMIT_HEURISTIC, THP_ENABLED,
   * MAXMEMORY_MISSIZED, CLIENT_BUFFER_BLOAT) cost what they cost on every record.
   */
  LoadModel(final int hosts, final int instances, final double forksPerInstanceHour, final double killsPerInstanceHour,
      final double untunedShare, final long seed) {
    this.hosts = hosts;
    this.instances = instances;
    this.forkPerInstanceSecond = forksPerInstanceHour / 3600.0;
    this.killPerInstanceSecond = killsPerInstanceHour / 3600.0;
    this.random = new SplittableRandom(seed);
    this.fleet = new Instance[hosts][instances];
    this.untuned = new boolean[hosts];
    for (int h = 0; h < hosts; h++) {
      untuned[h] = random.nextDouble() < untunedShare;
      for (int i = 0; i < instances; i++) {
        final Instance in = new Instance();
        in.pid = 1000 + h * 16L + i;
        in.limitMb = 1024L << random.nextInt(4);
        in.usedMb = in.limitMb * (20 + random.nextInt(40)) / 100;
        in.runId = runId(in.pid);
        fleet[h][i] = in;
      }
    }
  }

  static String host(final int h) {
    return String.format("bench-host-%05d", h);
  }

  /** Records per second of this load when nothing forks or dies. */
  int recordsPerSecond() {
    return hosts * (instances + 1);
  }

  Second second(final long nowMs) {
    return slice(nowMs, 0, 1);
  }

  /**
   * The records of the hosts in one slice of the second ({@code h % slices == slice}): a real
   * fleet's collectors sample at their own phase within the second, not all at once.
   */
  Second slice(final long nowMs, final int slice, final int slices) {
    final List<SpecificRecord> out = new ArrayList<>(recordsPerSecond() / slices + 8);
    int kills = 0;
    for (int h = slice; h < hosts; h += slices) {
      final String host = host(h);
      final List<ProcessMemory> processes = new ArrayList<>(instances + 1);
      for (int i = 0; i < instances; i++) {
        final Instance in = fleet[h][i];
        final String instance = host + ":" + (6379 + i);
        final String cgroup = "/redis-" + i;
        if (in.restartIn > 0) {
          in.restartIn--;
          out.add(RedisSample.newBuilder().setHost(host).setInstance(instance).setTimestampMs(nowMs)
              .setReachable(false).setUnreachableReason("REFUSED: Connection refused").build());
          continue;
        }
        if (in.restartIn == 0) {
          in.restartIn = -1;
          in.pid += 100_000;
          in.runId = runId(in.pid);
          in.startedMs = nowMs;
          in.usedMb = in.limitMb / 10;
        }
        in.usedMb = Math.max(16, Math.min(in.limitMb * 8 / 10, in.usedMb + random.nextInt(5) - 2));
        if (in.forkLeft == 0 && random.nextDouble() < forkPerInstanceSecond) {
          in.forkLeft = 3 + random.nextInt(5);
          in.childPid = in.pid + 50_000;
          in.cowMb = 0;
        }
        final boolean forking = in.forkLeft > 0;
        if (forking) {
          in.forkLeft--;
          in.cowMb += in.usedMb / 10;
        }
        final long rss = in.usedMb + in.usedMb / 20;
        final long usage = rss + (forking ? in.cowMb : 0);
        out.add(redis(host, instance, nowMs, in, rss, forking, untuned[h]));
        final CgroupMemory cg = CgroupMemory.newBuilder().setPath(cgroup).setVersion(2).setUsage(usage * MB)
            .setAnon(usage * MB).setLimit(in.limitMb * MB).setOomKill(0L).build();
        processes.add(ProcessMemory.newBuilder().setPid(in.pid).setPpid(1).setComm("redis-server")
            .setRole(ProcessRole.SERVER).setServerPid(in.pid).setListenPorts(List.of(6379 + i)).setVmRss(rss * MB)
            .setCgroup(cg).build());
        if (forking) {
          processes.add(ProcessMemory.newBuilder().setPid(in.childPid).setPpid(in.pid).setComm("redis-server")
              .setRole(ProcessRole.FORK_CHILD).setServerPid(in.pid).setVmRss(in.cowMb * MB).setCgroup(cg).build());
        }
        if (random.nextDouble() < killPerInstanceSecond) {
          dev.oomwatch.wire.TrustedSchemaClasses.install();
          kills++;
          out.add(KernelEvent.newBuilder().setHost(host).setTimestampMs(nowMs).setKind(KernelEventKind.OOM_KILL)
              .setSource(KernelEventSource.KMSG).setVictimPid(in.pid).setVictimComm("redis-server")
              .setConstraint("CONSTRAINT_MEMCG").setOomMemcg(cgroup).setTaskMemcg(cgroup)
              .setAnonRss(usage * MB).setMemcgUsage(in.limitMb * MB).setMemcgLimit(in.limitMb * MB).build());
          in.restartIn = 3;
          in.forkLeft = 0;
        }
      }
      out.add(HostSample.newBuilder().setHost(host).setTimestampMs(nowMs).setMemTotal(65_536 * MB)
          .setMemAvailable(30_000 * MB).setOomKill(0L).setOvercommitMemory(untuned[h] ? 0 : 1)
          .setThpEnabled(untuned[h] ? "always" : "never")
          .setProcesses(processes).build());
    }
    return new Second(out, kills);
  }

  private static RedisSample redis(final String host, final String instance, final long nowMs, final Instance in,
      final long rssMb, final boolean forking, final boolean untuned) {
    final long maxmemory = untuned ? 0 : in.limitMb * MB / 2;
    return RedisSample.newBuilder().setHost(host).setInstance(instance).setTimestampMs(nowMs).setReachable(true)
        .setRedisVersion("7.2.4").setRunId(in.runId).setProcessId(in.pid)
        .setUptimeInSeconds(Math.max(0, (nowMs - in.startedMs) / 1000)).setUsedMemory(in.usedMb * MB)
        .setUsedMemoryRss(rssMb * MB).setMaxmemory(maxmemory).setMaxmemoryPolicy(untuned ? "noeviction" : "allkeys-lru")
        .setMemFragmentationRatio((double) rssMb / in.usedMb).setTotalSystemMemory(65_536 * MB)
        .setRdbBgsaveInProgress(forking).setAofRewriteInProgress(false).setModuleForkInProgress(false)
        .setRdbLastCowSize(in.usedMb * MB / 10).setAofLastCowSize(0L).setCurrentCowSize(forking ? in.cowMb * MB : 0L)
        .setCurrentForkPerc(forking ? 50.0 : 0.0).setLatestForkUsec(8_000L).setTotalForks(10L)
        .setErrorstats(Map.of()).setConnectedClients(50L).setTotalKeys(in.usedMb * 1000)
        .setTopClients(List.of()).setMonitorClients(0L).setTotalClientOmem(0L)
        .setConfig(RedisConfig.newBuilder().setReadAtMs(nowMs).setMaxmemory(maxmemory)
            .setSave("3600 1").setAppendonly(false).setActivedefrag(false).setOomScoreAdj("no")
            .setClientOutputBufferLimit(untuned ? "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
                : "normal 268435456 67108864 60 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
            .setDisableThp(true).build())
        .build();
  }

  private static String runId(final long pid) {
    final String hex = Long.toHexString(pid * 2_654_435_761L);
    return (hex + hex + hex + hex + hex + "0000000000000000000000000000000000000000").substring(0, 40);
  }
}
