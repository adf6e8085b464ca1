package dev.oomwatch.collector.discover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.collector.Collector;
import dev.oomwatch.collector.CollectorConfig;
import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.KubePods;
import dev.oomwatch.testkit.LocalRedis;
import dev.oomwatch.testkit.LogCapture;
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.testkit.TopicRecords;
import dev.oomwatch.wire.Serdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Discovery on a node of real pods (own PID and network namespaces, kubepods cgroups, all on
 * 6379): with no URI the collector finds every pod's server, names it after its pod, ties it to its
 * host process, finds a pod started mid-run at its default pace, reports a stopped one unreachable
 * and forgets it after the retention.
 */
class DiscoveryIT {
  private static final String TOPIC = "oomwatch.redis-samples";
  private static final long MB = 1024L * 1024;

  @TempDir Path dir;

  @Test
  void findsEveryPodThenANewOneAndReportsAStoppedOne() throws Exception {
    final var reason = KubePods.unavailableReason();
    assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        KubePods node = KubePods.create(dir.resolve("node"))) {
      final KubePods.Pod a = node.start("disc-a", "shop", 128 * MB, true, "--save", "");
      final KubePods.Pod b = node.start("disc-b", "shop", 128 * MB, true, "--save", "");
      final KubePods.Pod c = node.start("disc-c", "auth", 128 * MB, false, "--save", "");
      final Settings settings = Settings.of(Map.of(
          "kafka.bootstrap.servers", kafka.bootstrapServers(),
          "host.id", "node-1",
          "sample.interval", "500ms",
          "topic.partitions", "1",
          "kernel.runtime.bundles", node.bundlePattern(),
          "redis.discover.forget.after", "5s"));
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      try (Collector collector = Collector.start(CollectorConfig.from(settings))) {
        final List<RedisSample> first = read(kafka, list -> reachable(list, "shop/disc-a") != null
            && reachable(list, "shop/disc-b") != null && reachable(list, "pod-" + c.uid) != null);
        assertThat(reachable(first, "shop/disc-a").getServerHostPid()).isEqualTo(a.hostPid());
        assertThat(reachable(first, "shop/disc-b").getServerHostPid()).isEqualTo(b.hostPid());
        assertThat(reachable(first, "pod-" + c.uid).getServerHostPid()).isEqualTo(c.hostPid());
        assertThat(reachable(first, "shop/disc-a").getConnectedAddress()).isEqualTo(a.address + ":6379");
        assertThat(reachable(first, "shop/disc-b").getPodNamespace()).isEqualTo("shop");
        assertThat(reachable(first, "pod-" + c.uid).getPodUid()).isEqualTo(c.uid);

        final long started = System.currentTimeMillis();
        final KubePods.Pod d = node.start("disc-d", "shop", 128 * MB, true, "--save", "");
        final List<RedisSample> withD = read(kafka, list -> reachable(list, "shop/disc-d") != null);
        final RedisSample firstOfD = reachable(withD, "shop/disc-d");
        assertThat(firstOfD.getServerHostPid()).isEqualTo(d.hostPid());
        System.out.printf("[discovery] a pod started mid-run was first sampled %d ms after it listened%n",
            firstOfD.getTimestampMs() - started);

        b.stop();
        final List<RedisSample> afterStop = read(kafka, list -> list.stream()
            .anyMatch(s -> s.getInstance().equals("shop/disc-b") && !s.getReachable()));
        assertThat(afterStop).anyMatch(s -> s.getInstance().equals("shop/disc-b") && !s.getReachable()
            && s.getUnreachableReason() != null);
        final long deadline = System.currentTimeMillis() + 30_000;
        while (collector.discoveredInstances().contains("shop/disc-b") && System.currentTimeMillis() < deadline) {
          Thread.sleep(200);
        }
        assertThat(collector.discoveredInstances()).doesNotContain("shop/disc-b")
            .contains("shop/disc-a", "pod-" + c.uid, "shop/disc-d");
      }
    }
  }

  /**
   * A first run on a machine without Redis: the collector says once that it found none and how to
   * give one, goes on looking, and says when the first one appears. The servers it looks for are a
   * name no other process here has (a copy of redis-server), so other Redis on the machine are not it.
   */
  @Test
  void saysOnceThatNoServerIsFoundYetAndThenWhenTheFirstIs() throws Exception {
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    final String name = "owit" + ProcessHandle.current().pid();
    final Path binary = dir.resolve(name);
    java.nio.file.Files.copy(LocalRedis.binaryFile(), binary);
    binary.toFile().setExecutable(true);
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"))) {
      final Settings settings = Settings.of(Map.of(
          "kafka.bootstrap.servers", kafka.bootstrapServers(),
          "host.id", "node-1",
          "sample.interval", "500ms",
          "topic.partitions", "1",
          "kernel.process.names", name,
          "redis.discover.interval", "200ms"));
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      final LogCapture logs = LogCapture.start();
      try (logs; Collector collector = Collector.start(CollectorConfig.from(settings))) {
        final long passes = collector.metrics().discoveryPasses.get();
        await(() -> collector.metrics().discoveryPasses.get() >= passes + 3, "three passes that find nothing");
        assertThat(logs.count("no Redis server found on this host yet")).as("said once over three passes").isEqualTo(1);
        assertThat(logs.text()).contains("--redis redis://HOST:PORT", name);
        try (LocalRedis redis = LocalRedis.startWith(binary.toString(), dir.resolve("late"), null, "--save", "")) {
          final List<RedisSample> samples = read(kafka, list -> list.stream().anyMatch(RedisSample::getReachable));
          assertThat(samples.stream().filter(RedisSample::getReachable).findFirst().orElseThrow().getServerHostPid())
              .isEqualTo(redis.pid());
          await(() -> logs.text().contains("found the first Redis server on this host"), "the first server said found");
        }
      }
      assertThat(logs.count("no Redis server found on this host yet")).as("said once in all").isEqualTo(1);
    }
  }

  private static void await(final java.util.function.BooleanSupplier done, final String what) throws InterruptedException {
    final long deadline = System.currentTimeMillis() + 60_000;
    while (!done.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("not within 60 s: " + what);
      }
      Thread.sleep(50);
    }
  }

  private static RedisSample reachable(final List<RedisSample> samples, final String instance) {
    return samples.stream().filter(s -> s.getInstance().equals(instance) && s.getReachable()).findFirst().orElse(null);
  }

  private static List<RedisSample> read(final KafkaBackend kafka, final Predicate<List<RedisSample>> until) {
    return TopicRecords.read(kafka.bootstrapServers(), TOPIC, Serdes.redisSample().deserializer(), until,
        Duration.ofSeconds(30));
  }
}
