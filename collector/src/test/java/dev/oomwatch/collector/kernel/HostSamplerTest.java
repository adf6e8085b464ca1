package dev.oomwatch.collector.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.collector.Fixtures;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.ProcessRole;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sampler over a /proc and /sys tree laid out from real captures in a temp folder. */
class HostSamplerTest {
  @TempDir Path root;

  private KernelPaths tree() throws IOException {
    final Path proc = root.resolve("proc");
    write(proc.resolve("meminfo"), Fixtures.text("proc/6.18-captured/meminfo"));
    write(proc.resolve("vmstat"), Fixtures.text("proc/6.18-captured/vmstat"));
    write(proc.resolve("sys/vm/overcommit_memory"), "0\n");
    write(proc.resolve("sys/vm/overcommit_ratio"), "50\n");
    write(root.resolve("sys/kernel/mm/transparent_hugepage/enabled"), "[always] madvise never\n");
    // the server, pid 100, in cgroup /oomcap, with a fork child 101 (same name, parent 100)
    process(proc, 100, 1, "redis-server *:6401", "4:memory:/oomcap\n0::/\n");
    write(proc.resolve("100/task/100/children"), "101 ");
    process(proc, 101, 100, "redis-rdb-bgsave *:6401", "4:memory:/oomcap\n0::/\n");
    // an unrelated process
    write(proc.resolve("55/comm"), "bash\n");
    write(proc.resolve("55/stat"), "55 (bash) S 1 55 55 0");
    final Path cg = root.resolve("cgroup/memory/oomcap");
    write(cg.resolve("memory.usage_in_bytes"), "72048640\n");
    write(cg.resolve("memory.limit_in_bytes"), "100663296\n");
    write(cg.resolve("memory.max_usage_in_bytes"), "100663296\n");
    write(cg.resolve("memory.failcnt"), "0\n");
    write(cg.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
    write(cg.resolve("memory.stat"), Fixtures.text("cgroup/v1-captured/memory.stat"));
    return KernelPaths.of(proc, root.resolve("sys"), root.resolve("cgroup"));
  }

  private void process(final Path proc, final int pid, final int ppid, final String title, final String cgroup)
      throws IOException {
    write(proc.resolve(pid + "/comm"), "redis-server\n");
    write(proc.resolve(pid + "/stat"), pid + " (redis-server) S " + ppid + " " + pid + " 1 0 -1");
    write(proc.resolve(pid + "/status"), Fixtures.text("proc/6.18-captured/status-server.txt")
        .replaceAll("PPid:\\s+\\d+", "PPid:\t" + ppid));
    write(proc.resolve(pid + "/smaps_rollup"), Fixtures.text("proc/6.18-captured/smaps_rollup-server.txt"));
    write(proc.resolve(pid + "/cmdline"), title.replace(' ', '\0'));
    write(proc.resolve(pid + "/cgroup"), cgroup);
    write(proc.resolve(pid + "/oom_score_adj"), pid == 101 ? "200\n" : "0\n");
  }

  private static void write(final Path file, final String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }

  @Test
  void findsTheServerAndItsForkChildByParentWithTheirCgroup() throws IOException {
    final HostSampler sampler = new HostSampler("h", tree(), Set.of("redis-server"), true);
    final HostSample sample = sampler.sample(1_000L);

    assertThat(sample.getMemTotal()).isPositive();
    assertThat(sample.getOomKill()).isEqualTo(1L);
    assertThat(sample.getOvercommitMemory()).isZero();
    assertThat(sample.getThpEnabled()).isEqualTo("always");
    assertThat(sample.getThpDefrag()).isNull();
    assertThat(sample.getPsiMemorySomeAvg10()).isNull();
    assertThat(sample.getProcesses()).hasSize(2);
    final ProcessMemory server = sample.getProcesses().get(0);
    final ProcessMemory child = sample.getProcesses().get(1);
    assertThat(server.getPid()).isEqualTo(100L);
    assertThat(server.getRole()).isEqualTo(ProcessRole.SERVER);
    assertThat(server.getListenPorts()).containsExactly(6401);
    assertThat(server.getVmRss()).isPositive();
    assertThat(server.getPrivateDirty()).isPositive();
    assertThat(server.getCgroup().getPath()).isEqualTo("/oomcap");
    assertThat(server.getCgroup().getLimit()).isEqualTo(100_663_296L);
    assertThat(server.getCgroup().getUsage()).isEqualTo(72_048_640L);
    assertThat(child.getPid()).isEqualTo(101L);
    assertThat(child.getRole()).isEqualTo(ProcessRole.FORK_CHILD);
    assertThat(child.getServerPid()).isEqualTo(100L);
    assertThat(child.getPpid()).isEqualTo(100L);
    assertThat(child.getOomScoreAdj()).isEqualTo(200);
  }

  @Test
  void aForkChildWhoseServerDiedIsAChildOfNoServerNotAServerOnThePort() throws IOException {
    final KernelPaths paths = tree();
    final Path proc = paths.proc();
    // the server 100 was killed: its child 101 now has init for a parent, and a new server took the port
    process(proc, 101, 1, "redis-rdb-bgsave *:6401", "4:memory:/oomcap\n0::/\n");
    Files.walk(proc.resolve("100")).sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    process(proc, 120, 1, "redis-server *:6401", "4:memory:/oomcap\n0::/\n");
    final HostSample sample = new HostSampler("h", paths, Set.of("redis-server"), false).sample(1_000L);

    assertThat(sample.getProcesses()).extracting(ProcessMemory::getPid).containsExactly(120L, 101L);
    final ProcessMemory server = sample.getProcesses().get(0);
    assertThat(server.getRole()).isEqualTo(ProcessRole.SERVER);
    assertThat(server.getListenPorts()).containsExactly(6401);
    final ProcessMemory orphan = sample.getProcesses().get(1);
    assertThat(orphan.getRole()).isEqualTo(ProcessRole.FORK_CHILD);
    assertThat(orphan.getServerPid()).isEqualTo(HostSampler.NO_SERVER);
    assertThat(orphan.getListenPorts()).isEmpty();
    assertThat(orphan.getCgroup().getPath()).isEqualTo("/oomcap");
  }

  @Test
  void aRedisProcessOnItsWayOutIsNeitherAServerNorAnOrphan() throws IOException {
    final KernelPaths paths = tree();
    final Path proc = paths.proc();
    // the server 100 was killed and its orphaned child 101 is exiting: its memory map is gone (an
    // empty cmdline) while /proc still shows its status; and 130 is a redis-server zombie
    Files.walk(proc.resolve("100")).sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    process(proc, 101, 1, "redis-rdb-bgsave *:6401", "4:memory:/oomcap\n0::/\n");
    Files.writeString(proc.resolve("101/cmdline"), "");
    process(proc, 130, 1, "redis-server *:6402", "4:memory:/oomcap\n0::/\n");
    Files.writeString(proc.resolve("130/stat"), "130 (redis-server) Z 1 130 1 0 -1");

    final HostSample sample = new HostSampler("h", paths, Set.of("redis-server"), false).sample(1_000L);

    assertThat(sample.getProcesses()).isEmpty();
    assertThat(ProcessScanner.exiting("7 (redis server) X 1")).isTrue();
    assertThat(ProcessScanner.exiting("7 (redis) S 1")).isFalse();
    assertThat(ProcessScanner.exiting("7 (redis")).isFalse();
  }

  @Test
  void forkChildTitlesAreToldFromServerTitles() {
    assertThat(ProcessScanner.forkChildTitle("redis-rdb-bgsave *:6379\0\0\0")).isTrue();
    assertThat(ProcessScanner.forkChildTitle("redis-aof-rewrite 127.0.0.1:6380")).isTrue();
    assertThat(ProcessScanner.forkChildTitle("valkey-rdb-to-slaves *:6379")).isTrue();
    assertThat(ProcessScanner.forkChildTitle("redis-server *:6379")).isFalse();
    assertThat(ProcessScanner.forkChildTitle("/usr/bin/redis-server\0/etc/redis/redis.conf")).isFalse();
    assertThat(ProcessScanner.forkChildTitle("")).isFalse();
    assertThat(ProcessScanner.forkChildTitle(null)).isFalse();
  }

  @Test
  void missingAndTruncatedFilesLeaveNullsAndReasonsNotExceptions() throws IOException {
    final KernelPaths paths = tree();
    Files.delete(paths.proc().resolve("meminfo"));
    Files.writeString(paths.proc().resolve("vmstat"), "nr_free_pages 12\noom_ki");
    Files.writeString(paths.proc().resolve("100/status"), "Name:\tredis-server\nVmRSS:\t12");
    final HostSample sample = new HostSampler("h", paths, Set.of("redis-server"), true).sample(1L);
    assertThat(sample.getMemTotal()).isNull();
    assertThat(sample.getOomKill()).isNull();
    assertThat(sample.getReadErrors()).containsKey(paths.proc().resolve("meminfo").toString());
    assertThat(sample.getProcesses().get(0).getVmRss()).isNull();
  }

  @Test
  void aNewForkChildIsSeenInTheChildrenFile() throws IOException {
    final KernelPaths paths = tree();
    final ProcessScanner scanner = new ProcessScanner(paths, Set.of("redis-server"), false);
    assertThat(scanner.find(new FileReads()).servers()).containsExactly(100L);
    assertThat(scanner.children(100)).containsExactly(101L);
    Files.delete(paths.proc().resolve("100/task/100/children"));
    assertThat(scanner.children(100)).as("fallback: scan parents in /proc").containsExactly(101L);
  }

  @Test
  void aPodsProcessIsJudgedAgainstTheSmallestLimitOnItsPathAndNamedByItsPod() throws IOException {
    final KernelPaths paths = tree();
    final Path proc = paths.proc();
    final String uid = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
    final String id = "c".repeat(64);
    final String pod = "/kubepods/burstable/pod" + uid;
    process(proc, 200, 1, "redis-server *:6379", "4:memory:" + pod + "/" + id + "\n0::/\n");
    write(proc.resolve("200/root/etc/hostname"), "cache-0\n");
    final Path container = root.resolve("cgroup/memory" + pod + "/" + id);
    write(container.resolve("memory.usage_in_bytes"), "300000000\n");
    write(container.resolve("memory.limit_in_bytes"), "500000000\n");
    write(container.resolve("memory.stat"), "cache 100\nrss 250000000\ntotal_inactive_file 40000000\n");
    // the pod's limit, smaller than its container's, is the one the kernel enforces first
    write(root.resolve("cgroup/memory" + pod + "/memory.limit_in_bytes"), "400000000\n");
    write(root.resolve("cgroup/memory" + pod + "/memory.usage_in_bytes"), "320000000\n");
    write(root.resolve("cgroup/memory/kubepods/burstable/memory.limit_in_bytes"), "9223372036854771712\n");
    write(root.resolve("cgroup/memory/kubepods/memory.limit_in_bytes"), "9223372036854771712\n");

    final HostSample sample = new HostSampler("h", paths, Set.of("redis-server"), false,
        new dev.oomwatch.collector.container.ContainerNamer(proc, java.util.List.of())).sample(1L);
    final ProcessMemory p = sample.getProcesses().stream().filter(x -> x.getPid() == 200).findFirst().orElseThrow();
    assertThat(p.getCgroup().getLimit()).isEqualTo(500_000_000L);
    assertThat(p.getCgroup().getEffectiveLimit()).isEqualTo(400_000_000L);
    assertThat(p.getCgroup().getLimitPath()).isEqualTo(pod);
    assertThat(p.getCgroup().getLimitPathUsage()).isEqualTo(320_000_000L);
    assertThat(p.getCgroup().getWorkingSet()).isEqualTo(260_000_000L);
    assertThat(p.getContainer().getPodUid()).isEqualTo(uid);
    assertThat(p.getContainer().getContainerId()).isEqualTo(id);
    assertThat(p.getContainer().getQosClass()).isEqualTo("burstable");
    assertThat(p.getContainer().getPodName()).isEqualTo("cache-0");
    assertThat(p.getContainer().getNameSource()).isEqualTo("/etc/hostname");
    // the host's own server: its own limit is the effective one, no container
    final ProcessMemory host = sample.getProcesses().stream().filter(x -> x.getPid() == 100).findFirst().orElseThrow();
    assertThat(host.getCgroup().getEffectiveLimit()).isEqualTo(100_663_296L);
    assertThat(host.getCgroup().getLimitPath()).isEqualTo("/oomcap");
    assertThat(host.getContainer()).isNull();
  }
}
