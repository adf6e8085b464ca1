package dev.oomwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.KubePods;
import dev.oomwatch.testkit.LocalRedis;
import dev.oomwatch.testkit.MemoryCgroup;
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.testkit.TopicRecords;
import dev.oomwatch.wire.Serdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/oomwatch collector started as root, as the DaemonSet starts it, runs as uid 65534 with only
 * the capabilities it reads with, and still does all of its work on a node whose Redis runs as
 * the official image runs it (uid 999, in a pod of its own): discovery by the server's sockets,
 * its memory, its cgroup, its pod's name from the runtime's bundle, the kernel's kills. What it can
 * no longer do is write a root-owned file of the node through {@code /proc/PID/root}.
 */
class UnprivilegedCollectorIT {
  private static final Path SCRIPT = Path.of("..", "bin", "oomwatch").toAbsolutePath().normalize();
  private static final long MB = 1024L * 1024;
  private static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir Path dir;

  @Test
  void startedAsRootItRunsAsNobodyAndStillSeesEverythingButWritesNothingOfTheNode() throws Exception {
    final var noPods = KubePods.unavailableReason();
    assumeTrue(noPods.isEmpty(), () -> "skipped: " + noPods.orElse(""));
    assumeTrue(MemoryCgroup.unavailableReason().isEmpty(), "skipped: no memory cgroup");
    assumeTrue(LocalRedis.available() && Files.isExecutable(SCRIPT), "skipped: no redis-server or bin/oomwatch");
    assumeTrue(run(List.of("sh", "-c", "setpriv --help | grep -q -- --ambient-caps")) == 0, "skipped: no setpriv");
    // the folders above the pod's must be passable for its uid-999 server, as a node's are
    run(List.of("chmod", "755", dir.toString()));
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        KubePods node = KubePods.create(dir.resolve("node"))) {
      final Path podDir = Files.createDirectories(dir.resolve("node").resolve("cache-0"));
      run(List.of("chmod", "755", dir.resolve("node").toString()));
      run(List.of("chown", "999:999", podDir.toString()));
      final List<String> asRedisUser = new ArrayList<>(List.of("setpriv", "--reuid=999", "--regid=999", "--clear-groups"));
      asRedisUser.addAll(KubePods.redisCommand(podDir, "--save", ""));
      final KubePods.Pod cache = node.startWith("cache-0", "shop", 128 * MB, true, KubePods.Hostname.POD_NAME,
          asRedisUser);
      assertThat(Files.readString(Path.of("/proc", String.valueOf(cache.hostPid()), "status")))
          .as("the server runs as uid 999").containsPattern("Uid:\\t999\\t");
      TopicRecords.provision(kafka.bootstrapServers(), Settings.of(Map.of(
          "kafka.bootstrap.servers", kafka.bootstrapServers(), "topic.partitions", "1")));

      final Path log = dir.resolve("collector.log");
      final Process collector = new ProcessBuilder(SCRIPT.toString(), "collector",
          "--bootstrap", kafka.bootstrapServers(), "--host-id", "node-1",
          "--set", "sample.interval=500ms", "--set", "redis.discover.interval=500ms",
          "--set", "topic.partitions=1", "--set", "metrics.enabled=false", "--set", "cluster.id=it-cluster",
          "--set", "kernel.runtime.bundles=" + node.bundlePattern())
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      try {
        final List<RedisSample> redis = TopicRecords.read(kafka.bootstrapServers(), "oomwatch.redis-samples",
            Serdes.redisSample().deserializer(), list -> list.stream().anyMatch(s -> s.getReachable()
                && s.getInstance().equals("shop/cache-0")) || !collector.isAlive(), WAIT);
        final String text = Files.readString(log);
        assertThat(collector.isAlive()).as(text).isTrue();
        // the launcher exec'd setpriv, which exec'd the JVM: the same process
        final ProcessPrivileges privileges = ProcessPrivileges.parse(
            Files.readString(Path.of("/proc", String.valueOf(collector.pid()), "status")));
        assertThat(privileges.uid()).isEqualTo(65534);
        assertThat(privileges.capabilities()).containsExactly("dac_read_search", "sys_ptrace", "syslog");
        assertThat(privileges.writesFilesItDoesNotOwn()).isFalse();
        assertThat(text).contains("running as uid 65534 with capabilities [dac_read_search, sys_ptrace, syslog]");

        assertThat(redis).as(text).anyMatch(s -> s.getReachable() && s.getInstance().equals("shop/cache-0")
            && s.getServerHostPid() == cache.hostPid());
        final List<HostSample> host = TopicRecords.read(kafka.bootstrapServers(), "oomwatch.host-samples",
            Serdes.hostSample().deserializer(), list -> serverIn(list, cache) != null, WAIT);
        final ProcessMemory server = serverIn(host, cache);
        assertThat(server).as("the uid-999 server in the host samples").isNotNull();
        assertThat(server.getListenPorts()).as("its sockets, from /proc/PID/fd").contains(6379);
        assertThat(server.getPss()).as("its smaps_rollup").isPositive();
        assertThat(server.getContainer().getPodName()).isEqualTo("cache-0");
        assertThat(server.getContainer().getPodNamespace()).as("from the bundle").isEqualTo("shop");
        assertThat(server.getCgroup().getLimit()).isEqualTo(128 * MB);
        // every record says the cluster it came from
        assertThat(redis).allMatch(r -> "it-cluster".equals(r.getCluster()));
        assertThat(host).allMatch(h -> "it-cluster".equals(h.getCluster()));

        // the kernel's log, read as nobody with syslog: a kill in a cgroup of its own
        try (MemoryCgroup cgroup = MemoryCgroup.create("oomwatch-test-nobody-" + ProcessHandle.current().pid(), 32 * MB)) {
          assertThat(run(List.of("sh", "-c", "echo $$ > '" + cgroup.procs() + "' && exec tail /dev/zero")))
              .as("killed by the kernel").isNotZero();
          final List<KernelEvent> kills = TopicRecords.read(kafka.bootstrapServers(), "oomwatch.kernel-events",
              Serdes.kernelEvent().deserializer(), list -> list.stream()
                  .anyMatch(e -> cgroup.path().equals(e.getTaskMemcg())), WAIT);
          assertThat(kills).anyMatch(e -> cgroup.path().equals(e.getTaskMemcg()) && "tail".equals(e.getVictimComm())
              && "it-cluster".equals(e.getCluster()));
        }

        // the node's root, as the pod's /proc entry reaches it: readable, not writable, with the
        // collector's own uid and capabilities; writable as root, which is why it is not root
        final Path nodeFile = dir.resolve("node-file");
        Files.writeString(nodeFile, "the node's\n");
        run(List.of("chmod", "644", nodeFile.toString()));
        final String throughPod = "/proc/" + cache.hostPid() + "/root" + nodeFile;
        final String caps = "-all," + String.join(",", privileges.capabilities().stream().map(c -> "+" + c).toList());
        final List<String> asCollector = List.of("setpriv", "--reuid=" + privileges.uid(), "--regid=" + privileges.uid(),
            "--clear-groups", "--inh-caps=" + caps, "--ambient-caps=" + caps, "--no-new-privs", "--", "sh", "-c");
        assertThat(run(concat(asCollector, "cat '" + throughPod + "' > /dev/null"))).as("read").isZero();
        assertThat(run(concat(asCollector, "echo taken >> '" + throughPod + "'"))).as("written").isNotZero();
        assertThat(Files.readString(nodeFile)).isEqualTo("the node's\n");
        assertThat(run(List.of("sh", "-c", "echo taken >> '" + throughPod + "'"))).as("root writes it").isZero();
        assertThat(Files.readString(nodeFile)).endsWith("taken\n");
      } finally {
        collector.destroy();
        if (!collector.waitFor(30, TimeUnit.SECONDS)) {
          collector.destroyForcibly();
        }
      }
    }
  }

  @Test
  void withTheForkGuardOnItKeepsKillAndOnlyThenMaySignalAnotherUsersProcess() throws Exception {
    assumeTrue(Files.isExecutable(SCRIPT), "skipped: no bin/oomwatch");
    assumeTrue(run(List.of("sh", "-c", "setpriv --help | grep -q -- --ambient-caps")) == 0, "skipped: no setpriv");
    final Path log = dir.resolve("guarded.log");
    final ProcessBuilder start = new ProcessBuilder(SCRIPT.toString(), "collector", "--bootstrap", "127.0.0.1:1",
        "--host-id", "node-1", "--set", "metrics.enabled=false", "--set", "redis.discover=false")
        .redirectErrorStream(true).redirectOutput(log.toFile());
    start.environment().put("OOMWATCH_GUARD_ENABLED", "true");
    final Process collector = start.start();
    // a process of another user, as a Redis fork child would be
    final Process other = new ProcessBuilder("setpriv", "--reuid=999", "--regid=999", "--clear-groups", "sleep", "120")
        .start();
    try {
      final long deadline = System.currentTimeMillis() + WAIT.toMillis();
      // said as it starts, before it waits for its (absent) broker
      while (!Files.readString(log).contains("running as uid") && collector.isAlive()
          && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      final String text = Files.readString(log);
      assertThat(text).as(text).contains("running as uid 65534 with capabilities [dac_read_search, kill, sys_ptrace, syslog]")
          .doesNotContain("without CAP_KILL");
      final ProcessPrivileges privileges = ProcessPrivileges.parse(
          Files.readString(Path.of("/proc", String.valueOf(collector.pid()), "status")));
      assertThat(privileges.uid()).isEqualTo(65534);
      assertThat(privileges.capabilities()).containsExactly("dac_read_search", "kill", "sys_ptrace", "syslog");
      // what KILL is for: a signal to another user's process, refused without it
      final List<String> withKill = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
          "--inh-caps=-all,+kill", "--ambient-caps=-all,+kill", "--no-new-privs", "--", "sh", "-c");
      final List<String> without = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
          "--inh-caps=-all", "--ambient-caps=-all", "--no-new-privs", "--", "sh", "-c");
      assertThat(run(concat(withKill, "kill -0 " + other.pid()))).as("signalled with KILL").isZero();
      assertThat(run(concat(without, "kill -0 " + other.pid()))).as("refused without").isNotZero();
    } finally {
      other.destroyForcibly();
      // nothing to flush: its broker never existed
      collector.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static ProcessMemory serverIn(final List<HostSample> samples, final KubePods.Pod pod) {
    ProcessMemory found = null;
    for (final HostSample h : samples) {
      for (final ProcessMemory p : h.getProcesses()) {
        if (p.getPid() == pod.hostPid() && p.getContainer() != null && p.getCgroup() != null
            && !p.getListenPorts().isEmpty()) {
          found = p;
        }
      }
    }
    return found;
  }

  private static List<String> concat(final List<String> head, final String last) {
    final List<String> all = new ArrayList<>(head);
    all.add(last);
    return all;
  }

  private static int run(final List<String> command) throws Exception {
    final Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("did not end in 120 s: " + command);
    }
    return p.exitValue();
  }
}
