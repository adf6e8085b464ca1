package dev.oomwatch.collector.discover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.collector.Collector;
import dev.oomwatch.collector.CollectorConfig;
import dev.oomwatch.collector.container.ConfinedFile;
import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.testkit.Impostor;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.KubePods;
import dev.oomwatch.testkit.LocalRedis;
import dev.oomwatch.testkit.LogCapture;
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.testkit.TopicRecords;
import dev.oomwatch.wire.Serdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collector runs as root beside pods it does not own. Here the pods are hostile, made of real
 * namespaces and cgroups: one runs a process that calls itself redis-server to collect passwords,
 * others make their /etc/hostname a symlink to the reader's own environment, a FIFO, /dev/zero,
 * or leave it the node's. None gets a credential, none leaks anything, none stops sampling, and no
 * two servers become one instance.
 */
class UntrustedContainersIT {
  private static final String REDIS_SAMPLES = "oomwatch.redis-samples";
  private static final String HOST_SAMPLES = "oomwatch.host-samples";
  private static final long MB = 1024L * 1024;
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;

  @BeforeEach
  void canRun() {
    final var reason = KubePods.unavailableReason();
    assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
  }

  @Test
  void aProcessThatCallsItselfRedisServerGetsNoCredential() throws Exception {
    final var noPerl = Impostor.unavailableReason();
    assumeTrue(noPerl.isEmpty(), () -> "skipped: " + noPerl.orElse(""));
    final String shopPassword = "shop-" + UUID.randomUUID();
    final String fallbackPassword = "fallback-" + UUID.randomUUID();
    final Impostor impostor = new Impostor(dir.resolve("impostor"));
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        KubePods node = KubePods.create(dir.resolve("node"))) {
      final KubePods.Pod cache = node.start("cache-0", "shop", 128 * MB, true, "--save", "", "--requirepass", shopPassword);
      final KubePods.Pod sessions = node.start("sessions-0", "auth", 128 * MB, true, "--save", "",
          "--requirepass", fallbackPassword);
      // it names itself cache-0 (HOSTNAME and /etc/hostname) in a kubepods cgroup, with no bundle
      final KubePods.Pod evil = node.startWith("cache-0", "shop", 128 * MB, false, KubePods.Hostname.POD_NAME,
          impostor.command(6379));
      final Settings settings = Settings.of(Map.of(
          "kafka.bootstrap.servers", kafka.bootstrapServers(),
          "host.id", "node-1",
          "sample.interval", "500ms",
          "topic.partitions", "1",
          "kernel.runtime.bundles", node.bundlePattern(),
          "redis.discover.password", fallbackPassword,
          "redis.discover.auth.shop.match", "shop/*",
          "redis.discover.auth.shop.password", shopPassword));
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      final String evilInstance = "pod-" + evil.uid;
      final List<RedisSample> samples;
      final String log;
      try (LogCapture logs = LogCapture.start(); Collector collector = Collector.start(CollectorConfig.from(settings))) {
        samples = TopicRecords.read(kafka.bootstrapServers(), REDIS_SAMPLES, Serdes.redisSample().deserializer(),
            list -> reachable(list, "shop/cache-0") != null && reachable(list, "auth/sessions-0") != null
                && reachable(list, evilInstance) != null && impostor.receivedText().contains("INFO"), WAIT);
        log = logs.text();
      }
      assertThat(reachable(samples, "shop/cache-0")).as("the shop rule's password reached shop/cache-0").isNotNull();
      assertThat(reachable(samples, "auth/sessions-0")).as("the default reached a pod its bundle names").isNotNull();
      final RedisSample evilSample = reachable(samples, evilInstance);
      assertThat(evilSample).as("the impostor is sampled, under its pod's uid").isNotNull();
      assertThat(evilSample.getServerHostPid()).isEqualTo(evil.hostPid());
      assertThat(reachable(samples, "shop/cache-0").getServerHostPid()).isEqualTo(cache.hostPid());
      assertThat(reachable(samples, "auth/sessions-0").getServerHostPid()).isEqualTo(sessions.hostPid());

      final String received = impostor.receivedText();
      System.out.printf("[untrusted] the impostor received:%n%s", received);
      assertThat(received).contains("INFO").doesNotContain(shopPassword).doesNotContain(fallbackPassword)
          .doesNotContain("AUTH");
      assertThat(log).contains("without credentials: its identity is not verified")
          .doesNotContain(shopPassword).doesNotContain(fallbackPassword);
    }
  }

  @Test
  void aContainersHostnameLeaksNothingStopsNothingAndNoTwoServersAreOne() throws Exception {
    assumeTrue(ConfinedFile.unavailableReason() == null, () -> "skipped: " + ConfinedFile.unavailableReason());
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        KubePods node = KubePods.create(dir.resolve("node"))) {
      final Map<String, KubePods.Pod> byInstance = new HashMap<>();
      final Map<KubePods.Hostname, KubePods.Pod> byKind = new HashMap<>();
      final KubePods.Pod named = node.start("cache-0", "shop", 128 * MB, true, "--save", "");
      byInstance.put("shop/cache-0", named);
      for (final KubePods.Hostname kind : List.of(KubePods.Hostname.SYMLINK_TO_READERS_ENVIRON,
          KubePods.Hostname.FIFO, KubePods.Hostname.DEV_ZERO, KubePods.Hostname.NODE, KubePods.Hostname.NODE)) {
        final String name = "h-" + kind.name().toLowerCase().replace('_', '-') + "-" + byInstance.size();
        final KubePods.Pod pod = node.startWith(name, "shop", 128 * MB, false, kind,
            KubePods.redisCommand(dir.resolve("node").resolve(name), "--save", ""));
        byInstance.put("pod-" + pod.uid, pod);
        byKind.put(kind, pod);
      }
      final Settings settings = Settings.of(Map.of(
          "kafka.bootstrap.servers", kafka.bootstrapServers(),
          "host.id", "node-1",
          "sample.interval", "500ms",
          "topic.partitions", "1",
          "kernel.runtime.bundles", node.bundlePattern(),
          "redis.discover.interval", "500ms"));
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      final String log;
      final List<RedisSample> redis;
      final List<HostSample> host;
      try (LogCapture logs = LogCapture.start(); Collector collector = Collector.start(CollectorConfig.from(settings))) {
        final List<RedisSample> first = TopicRecords.read(kafka.bootstrapServers(), REDIS_SAMPLES,
            Serdes.redisSample().deserializer(),
            list -> byInstance.keySet().stream().allMatch(i -> reachable(list, i) != null), WAIT);
        assertThat(byInstance.keySet()).as("every pod sampled, each its own instance")
            .allMatch(i -> reachable(first, i) != null);
        final long allSeenAt = first.stream().mapToLong(RedisSample::getTimestampMs).max().orElseThrow();
        // sampling goes on: every pod sampled again, and host samples holding every pod's server, after that
        redis = TopicRecords.read(kafka.bootstrapServers(), REDIS_SAMPLES, Serdes.redisSample().deserializer(),
            list -> byInstance.keySet().stream().allMatch(i -> list.stream().anyMatch(s -> s.getInstance().equals(i)
                && s.getReachable() && s.getTimestampMs() > allSeenAt + 2_000)), WAIT);
        host = TopicRecords.read(kafka.bootstrapServers(), HOST_SAMPLES, Serdes.hostSample().deserializer(),
            list -> list.stream().filter(h -> h.getTimestampMs() > allSeenAt).filter(h -> holdsAll(h, byInstance)).count() >= 3,
            WAIT);
        log = logs.text();
        // each refused read counted once, by the file and why, on /metrics' read errors
        assertThat(collector.metrics().readErrors.keySet()).anyMatch(k -> k.endsWith("/root/etc/hostname: not a regular file"))
            .anyMatch(k -> k.endsWith("/root/etc/hostname: a symlink on the way (refused)"));
      }
      assertThat(byInstance.keySet()).allMatch(i -> redis.stream().anyMatch(s -> s.getInstance().equals(i)
          && s.getReachable() && s.getTimestampMs() > 0));
      assertThat(host.stream().filter(h -> holdsAll(h, byInstance)).count()).isGreaterThanOrEqualTo(3);
      byInstance.forEach((instance, pod) -> assertThat(reachable(redis, instance).getServerHostPid())
          .as("%s is its own server", instance).isEqualTo(pod.hostPid()));

      // nothing of the collector's own environment, nor any text that is not a name, went anywhere
      final String everything = redis.toString() + host + log;
      assertThat(everything).doesNotContain("PATH=").doesNotContain("JAVA_HOME=").doesNotContain("HOME=/");
      final List<String> podNames = host.stream().flatMap(h -> h.getProcesses().stream())
          .map(ProcessMemory::getContainer).filter(Objects::nonNull).map(c -> c.getPodName())
          .filter(Objects::nonNull).distinct().collect(Collectors.toList());
      assertThat(podNames).allMatch(n -> n.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?"));
      assertThat(podNames).contains("cache-0").noneMatch(n -> n.startsWith("h-symlink") || n.startsWith("h-fifo")
          || n.startsWith("h-dev-zero"));
      final String refused = "): its name was not taken from /etc/hostname: ";
      assertThat(log).contains(byKind.get(KubePods.Hostname.SYMLINK_TO_READERS_ENVIRON).uid + " (host pid")
          .contains(refused + "a symlink on the way (refused)");
      for (final KubePods.Hostname kind : List.of(KubePods.Hostname.FIFO, KubePods.Hostname.DEV_ZERO)) {
        final KubePods.Pod pod = byKind.get(kind);
        assertThat(log).as("%s said once", kind)
            .containsOnlyOnce("pod " + pod.uid + " (host pid " + pod.hostPid() + refused + "not a regular file");
      }
    }
  }

  /**
   * Credentials follow the process they were chosen for, not its address: the host's own
   * redis-server (a system executable run by root) gets the default password; once it is killed,
   * a user's process listening on its port, under the same name, gets none, neither from the
   * sampler that knew the old one nor from the next discovery pass.
   */
  @Test
  void credentialsFollowTheProcessNotItsAddress() throws Exception {
    final var noPerl = Impostor.unavailableReason();
    assumeTrue(noPerl.isEmpty(), () -> "skipped: " + noPerl.orElse(""));
    // a name no other process here has, so that other Redis on the machine are not discovered
    final String name = "owcr" + ProcessHandle.current().pid() % 100_000;
    final Path binary = dir.resolve(name);
    java.nio.file.Files.copy(LocalRedis.binaryFile(), binary);
    binary.toFile().setExecutable(true);
    final String password = "host-" + UUID.randomUUID();
    final Impostor impostor = new Impostor(dir.resolve("impostor"), name, false);
    Process taker = null;
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"))) {
      final LocalRedis redis = LocalRedis.startWith(binary.toString(), dir.resolve("redis"), null, "--save", "",
          "--requirepass", password);
      final String instance = "127.0.0.1:" + redis.port();
      final Settings settings = Settings.of(Map.of(
          "kafka.bootstrap.servers", kafka.bootstrapServers(),
          "host.id", "node-1",
          "sample.interval", "250ms",
          "topic.partitions", "1",
          "kernel.process.names", name,
          "redis.discover.interval", "300ms",
          "redis.discover.password", password));
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      final String log;
      try (LogCapture logs = LogCapture.start(); Collector collector = Collector.start(CollectorConfig.from(settings))) {
        assertThat(reachable(TopicRecords.read(kafka.bootstrapServers(), REDIS_SAMPLES, Serdes.redisSample().deserializer(),
            list -> reachable(list, instance) != null, WAIT), instance))
            .as("the host's own server, sampled with the default password").isNotNull();
        redis.kill();
        redis.close();
        taker = new ProcessBuilder(impostor.command("127.0.0.1", redis.port(), 1, "normal")).redirectErrorStream(true)
            .redirectOutput(dir.resolve("taker.log").toFile()).start();
        // sampled, without credentials, as what it is: a process discovery found anew
        final long deadline = System.currentTimeMillis() + WAIT.toMillis();
        while (!impostor.receivedText().contains("INFO") && System.currentTimeMillis() < deadline) {
          Thread.sleep(100);
        }
        log = logs.text();
      }
      final String received = impostor.receivedText();
      System.out.printf("[untrusted] the process that took the port received:%n%s", received);
      assertThat(received).contains("INFO").doesNotContain(password).doesNotContain("AUTH");
      assertThat(log).containsAnyOf("no credentials go to its address any more", "now listens where host pid")
          .doesNotContain(password);
    } finally {
      if (taker != null) {
        taker.destroyForcibly().waitFor();
      }
    }
  }

  /** A host sample holding the server of every pod. */
  private static boolean holdsAll(final HostSample sample, final Map<String, KubePods.Pod> pods) {
    return pods.values().stream().allMatch(p -> sample.getProcesses().stream().anyMatch(m -> m.getPid() == p.hostPid()));
  }

  private static RedisSample reachable(final List<RedisSample> samples, final String instance) {
    return samples.stream().filter(s -> s.getInstance().equals(instance) && s.getReachable()).reduce((a, b) -> b)
        .orElse(null);
  }
}
