package dev.oomwatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.broker.KafkaCluster;
import dev.oomwatch.testkit.LocalRedis;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code local --brokers 3} stopped as a terminal's Ctrl-C or a service manager stops it: one signal
 * to every process of its group at once, the three broker JVMs included. The brokers must stop last,
 * after the streams-app, archiver and collector have closed against them; everything must be gone
 * without a SIGKILL; and what the topics held before the signal is still there when the cluster
 * starts again from the same folder.
 */
class LocalStopIT {
  private static final List<String> TOPICS = List.of("oomwatch.redis-samples", "oomwatch.host-samples",
      "oomwatch.alerts");

  @TempDir Path dir;

  @Test
  void aSigtermToTheProcessGroupStopsTheClientsFirstAndTheBrokersLastLosingNothing() throws Exception {
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/setsid")), "skipped: no setsid (util-linux)");
    final Path data = dir.resolve("data");
    final Path output = dir.resolve("local.log");
    final int port = threeFreePorts();
    try (LocalRedis redis = LocalRedis.start(dir.resolve("redis"), "--save", "")) {
      final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      // setsid: a group of its own, as a terminal's foreground job has, so the signal below reaches
      // this run's processes and no others
      final Process local = new ProcessBuilder("/usr/bin/setsid", java, "-cp", System.getProperty("java.class.path"),
          Oomwatch.class.getName(), "local", "--brokers", "3", "--port", String.valueOf(port),
          "--data", data.toString(), "--redis", redis.uri() + "#stop-it",
          "--set", "http.port=0", "--set", "collector.metrics.port=0", "--set", "streams.metrics.port=0",
          "--set", "archive.metrics.port=0")
          .redirectErrorStream(true).redirectOutput(output.toFile()).start();
      final List<ProcessHandle> group = new java.util.ArrayList<>();
      try {
        final String bootstrap = "127.0.0.1:" + port + ",127.0.0.1:" + (port + 1) + ",127.0.0.1:" + (port + 2);
        awaitLog(local, output, "oomwatch is running", Duration.ofSeconds(180));
        final Map<TopicPartition, Long> before = awaitRecords(bootstrap, Duration.ofSeconds(120));
        group.addAll(local.toHandle().descendants().toList());
        assertThat(group).as("the three broker JVMs").hasSizeGreaterThanOrEqualTo(3);

        final long signalled = System.currentTimeMillis();
        final Process kill = new ProcessBuilder("kill", "-TERM", "--", "-" + local.pid()).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
        // a bound for a run that is truly stuck (it was: the clients spun until Streams gave up after 60 s)
        assertThat(local.waitFor(120, TimeUnit.SECONDS)).as("local stopped").isTrue();
        final long stoppedMs = System.currentTimeMillis() - signalled;
        for (final ProcessHandle p : group) {
          assertThat(p.onExit().get(60, TimeUnit.SECONDS).isAlive()).as("process %d of the group", p.pid()).isFalse();
        }
        final String log = Files.readString(output, StandardCharsets.UTF_8);
        final int streamsStopped = log.indexOf("stopped StreamsApp");
        final int collectorStopped = log.indexOf("stopped Collector");
        final int clusterStopping = log.indexOf("stopping the Kafka cluster");
        assertThat(collectorStopped).as("the collector closed:%n%s", tail(log)).isPositive();
        assertThat(streamsStopped).as("the streams-app closed:%n%s", tail(log)).isPositive();
        assertThat(clusterStopping).as("the brokers stopped after the clients:%n%s", tail(log))
            .isGreaterThan(streamsStopped).isGreaterThan(collectorStopped);
        assertThat(log).as("the Streams commit never timed out").doesNotContain("TaskCorruptedException");
        assertThat(log).contains("Kafka cluster stopped").as("no node killed").doesNotContain("did not stop within");
        for (int node = 1; node <= 3; node++) {
          assertThat(Files.readString(data.resolve("kafka-cluster").resolve("node-" + node).resolve("output.log")))
              .as("node %d waited for its launcher", node).contains("released by its launcher; stopping")
              .doesNotContain("not released by its launcher");
        }
        System.out.printf("[local stop] SIGTERM to the group of %d processes: all gone in %d ms%n",
            group.size() + 1, stoppedMs);

        try (KafkaCluster again = KafkaCluster.start(data.resolve("kafka-cluster"), 3, port)) {
          final Map<TopicPartition, Long> after = endOffsets(again.bootstrapServers());
          before.forEach((tp, offset) -> assertThat(after.get(tp)).as("%s after the restart", tp)
              .isGreaterThanOrEqualTo(offset));
        }
      } finally {
        local.destroyForcibly();
        group.forEach(ProcessHandle::destroyForcibly); // orphans once local is gone: killed by handle
      }
    }
  }

  /**
   * A first port whose next two are free too (local's brokers take --port, +1, +2), below the
   * kernel's ephemeral range, where no client connection can take one between this check and the bind.
   */
  private static int threeFreePorts() {
    final java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 100; attempt++) {
      final int first = 20_000 + random.nextInt(12_000);
      if (free(first) && free(first + 1) && free(first + 2)) {
        return first;
      }
    }
    throw new IllegalStateException("no three free ports in a row below 32000");
  }

  private static boolean free(final int port) {
    try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
      socket.bind(new java.net.InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static void awaitLog(final Process local, final Path output, final String line, final Duration timeout)
      throws Exception {
    final long deadline = System.currentTimeMillis() + timeout.toMillis();
    while (!Files.readString(output, StandardCharsets.UTF_8).contains(line)) {
      assertThat(local.isAlive()).as("local is running:%n%s", tail(Files.readString(output))).isTrue();
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("no \"" + line + "\" within " + timeout.toSeconds() + " s:\n"
            + tail(Files.readString(output)));
      }
      Thread.sleep(200);
    }
  }

  /** Waits until the sample topics hold records; the end offsets of every topic then. */
  private static Map<TopicPartition, Long> awaitRecords(final String bootstrap, final Duration timeout)
      throws Exception {
    final long deadline = System.currentTimeMillis() + timeout.toMillis();
    Map<TopicPartition, Long> ends = Map.of();
    String failure = "";
    while (System.currentTimeMillis() < deadline) {
      try {
        ends = endOffsets(bootstrap);
        final Map<TopicPartition, Long> now = ends;
        if (TOPICS.stream().filter(t -> t.endsWith("-samples")).allMatch(t -> now.entrySet().stream()
            .filter(e -> e.getKey().topic().equals(t)).mapToLong(Map.Entry::getValue).sum() > 0)) {
          return ends;
        }
      } catch (Exception e) {
        failure = e.toString(); // topics not there yet
      }
      Thread.sleep(500);
    }
    throw new AssertionError("sample topics still empty after " + timeout.toSeconds() + " s: " + ends + " " + failure);
  }

  private static Map<TopicPartition, Long> endOffsets(final String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      admin.describeTopics(TOPICS).allTopicNames().get(30, TimeUnit.SECONDS).forEach((name, d) ->
          d.partitions().forEach(p -> latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
      final Map<TopicPartition, Long> ends = new HashMap<>();
      admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(30, TimeUnit.SECONDS)
          .forEach((tp, info) -> ends.put(tp, info.offset()));
      return ends;
    }
  }

  private static String tail(final String log) {
    final String[] lines = log.split("\n");
    return String.join("\n", java.util.Arrays.asList(lines).subList(Math.max(0, lines.length - 40), lines.length));
  }
}
