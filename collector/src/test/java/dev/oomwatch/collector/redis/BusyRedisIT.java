package dev.oomwatch.collector.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.collector.Collector;
import dev.oomwatch.collector.CollectorConfig;
import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.testkit.Impostor;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.LocalRedis;
import dev.oomwatch.testkit.LogCapture;
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.testkit.TopicRecords;
import dev.oomwatch.wire.Serdes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A busy Redis must not be harmed by the collector, nor kill it: a CLIENT LIST reply larger than
 * the server's output-buffer limit does not become a disconnect loop, and the collector as
 * deployed (bin/oomwatch collector, its 32 MB heap and 16 MB of direct memory) keeps sampling a
 * Redis with 10,000 connected clients.
 */
class BusyRedisIT {
  private static final String TOPIC = "oomwatch.redis-samples";
  private static final Path SCRIPT = Path.of("..", "bin", "oomwatch").toAbsolutePath().normalize();

  @TempDir Path dir;

  @Test
  void aClientListTheServerCutsOffIsNotAskedAgainAndAgain() throws Exception {
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        // 150 clients list to ~40 kB, past a 16 kB hard limit for normal clients: Redis drops the connection
        LocalRedis redis = LocalRedis.start(dir.resolve("redis"), "--save", "",
            "--client-output-buffer-limit", "normal 16kb 0 0");
        Clients idle = Clients.open("127.0.0.1", redis.port(), 150)) {
      final Settings settings = Settings.of(Map.of(
          "kafka.bootstrap.servers", kafka.bootstrapServers(),
          "host.id", "it-host",
          "redis.uris", redis.uri() + "#limited",
          "sample.interval", "250ms",
          "kernel.enabled", "false",
          "topic.partitions", "1"));
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      final List<RedisSample> samples;
      final String log;
      try (LogCapture logs = LogCapture.start(); Collector collector = Collector.start(CollectorConfig.from(settings))) {
        samples = TopicRecords.read(kafka.bootstrapServers(), TOPIC, Serdes.redisSample().deserializer(),
            list -> list.stream().filter(RedisSample::getReachable).count() >= 60, Duration.ofSeconds(120));
        log = logs.text();
      }
      final String stats = info(redis, "commandstats");
      final long calls = LocalRedis.calls(stats, "client|list");
      final long reachable = samples.stream().filter(RedisSample::getReachable).count();
      final long spanMs = samples.get(samples.size() - 1).getTimestampMs() - samples.get(0).getTimestampMs();
      System.out.printf("[busy] CLIENT LIST asked %d times over %d reachable samples in %d ms%n", calls, reachable, spanMs);
      assertThat(reachable).isGreaterThanOrEqualTo(60);
      // asked once, cut off; then paused 15 s, 30 s, ...: at most three over the 60 samples' time
      // (before: after every reconnect, so about once a second)
      assertThat(calls).as(stats).isBetween(1L, attemptsWithin(spanMs));
      assertThat(log).containsOnlyOnce("closed the connection while answering CLIENT LIST");
      assertThat(samples.stream().filter(RedisSample::getReachable).map(RedisSample::getUnavailable)
          .flatMap(List::stream)).anyMatch(u -> u.startsWith("CLIENT LIST: not asked until"));
    }
  }

  @Test
  void theDeployedCollectorSamplesARedisWithTenThousandClients() throws Exception {
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    assumeTrue(Files.isExecutable(SCRIPT), "skipped: no bin/oomwatch");
    final int clients = 10_000;
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        LocalRedis redis = LocalRedis.start(dir.resolve("redis"), "--save", "", "--maxclients", String.valueOf(clients + 100));
        Clients idle = Clients.open("127.0.0.1", redis.port(), clients)) {
      final List<RedisSample> samples = deployedCollector(kafka, redis.uri(),
          // two CLIENT LIST readings (15 s apart above 1,000 clients), and as long as asked
          list -> list.stream().map(RedisSample::getClientListReadAtMs).filter(Objects::nonNull).distinct().count() >= 2);
      final RedisSample read = samples.stream().filter(s -> Objects.equals(s.getClientListReadAtMs(), s.getTimestampMs()))
          .reduce((a, b) -> b).orElseThrow();
      assertThat(read.getConnectedClients()).isGreaterThanOrEqualTo(clients);
      assertThat(read.getTopClients()).isNotEmpty().hasSizeLessThanOrEqualTo(5);
      final long readings = samples.stream().map(RedisSample::getClientListReadAtMs).filter(Objects::nonNull).distinct().count();
      // a reading may be on its way, or just made, as the topic and the server are read
      assertThat(LocalRedis.calls(info(redis, "commandstats"), "client|list")).as("CLIENT LIST asked only when due")
          .isLessThanOrEqualTo(readings + 2);
    }
  }

  /**
   * 50,000 clients: more than this machine's descriptor limit (20,000, and no CAP_SYS_RESOURCE to
   * raise it) lets a real redis-server hold, so the server is a process answering as one would,
   * 50,000 connected clients in INFO and as many lines in CLIENT LIST, each as Redis 7 writes it.
   * The deployed collector samples it and never asks for that list (17 MB, more than its memory).
   */
  @Test
  void theDeployedCollectorSamplesAServerWithFiftyThousandClientsWithoutListingThem() throws Exception {
    final var noPerl = Impostor.unavailableReason();
    assumeTrue(noPerl.isEmpty(), () -> "skipped: " + noPerl.orElse(""));
    assumeTrue(Files.isExecutable(SCRIPT), "skipped: no bin/oomwatch");
    final Impostor server = new Impostor(dir.resolve("busy-50k"));
    final Process process = server.startOnLoopback(50_000, "normal", dir.resolve("busy-50k.log"));
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"))) {
      final List<RedisSample> samples = deployedCollector(kafka, "redis://127.0.0.1:" + server.port(),
          list -> list.stream().filter(RedisSample::getReachable).count() >= 10);
      assertThat(samples).anyMatch(s -> Long.valueOf(50_000).equals(s.getConnectedClients()));
      assertThat(samples.stream().skip(1).map(RedisSample::getUnavailable).flatMap(List::stream))
          .anyMatch(u -> u.startsWith("CLIENT LIST: not asked, 50000 clients"));
      assertThat(server.receivedText()).contains("INFO").doesNotContain("CLIENT LIST");
    } finally {
      process.destroyForcibly().waitFor();
    }
  }

  /**
   * bin/oomwatch collector as deployed (its JVM settings) sampling {@code uri} until {@code until}
   * holds and, with {@code -Doomwatch.busy.soak=10m}, at least that long; every sample is reachable,
   * the process alive, no OutOfMemoryError.
   */
  private List<RedisSample> deployedCollector(final KafkaBackend kafka, final String uri,
      final java.util.function.Predicate<List<RedisSample>> until) throws Exception {
    TopicRecords.provision(kafka.bootstrapServers(), Settings.of(Map.of(
        "kafka.bootstrap.servers", kafka.bootstrapServers(), "topic.partitions", "1")));
    final Path log = dir.resolve("collector-" + System.nanoTime() + ".log");
    final Process collector = new ProcessBuilder(SCRIPT.toString(), "collector",
        "--bootstrap", kafka.bootstrapServers(), "--redis", uri + "#busy", "--host-id", "it-host",
        "--set", "kernel.enabled=false", "--set", "metrics.enabled=false", "--set", "topic.partitions=1")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      final long soakUntil = System.currentTimeMillis()
          + Duration.parse("PT" + System.getProperty("oomwatch.busy.soak", "0s").toUpperCase()).toMillis();
      long maxRssKb = 0;
      List<RedisSample> samples;
      do {
        samples = TopicRecords.read(kafka.bootstrapServers(), TOPIC, Serdes.redisSample().deserializer(),
            list -> until.test(list) || !collector.isAlive(), Duration.ofSeconds(180));
        maxRssKb = Math.max(maxRssKb, collector.isAlive() ? rssKb(collector.pid()) : 0);
        if (System.currentTimeMillis() < soakUntil) {
          Thread.sleep(Math.min(10_000, soakUntil - System.currentTimeMillis()));
        }
      } while (collector.isAlive() && System.currentTimeMillis() < soakUntil);
      // everything it published, to the topic's end now (a read that stopped at `until` may hold less)
      samples = TopicRecords.readAll(kafka.bootstrapServers(), TOPIC, Serdes.redisSample().deserializer(),
          Duration.ofSeconds(60));
      final String text = Files.readString(log);
      assertThat(collector.isAlive()).as(text).isTrue();
      final long rssKb = rssKb(collector.pid());
      final long span = samples.isEmpty() ? 0 : samples.get(samples.size() - 1).getTimestampMs() - samples.get(0).getTimestampMs();
      System.out.printf("[busy] the deployed collector against %s: %d samples over %d s, %d reachable, "
              + "%d CLIENT LIST readings, RSS %d MB now, %d MB at most seen%n", uri, samples.size(), span / 1000,
          samples.stream().filter(RedisSample::getReachable).count(),
          samples.stream().map(RedisSample::getClientListReadAtMs).filter(Objects::nonNull).distinct().count(),
          rssKb / 1024, Math.max(maxRssKb, rssKb) / 1024);
      assertThat(text).doesNotContain("OutOfMemoryError");
      assertThat(samples).as(text).isNotEmpty().allMatch(RedisSample::getReachable);
      assertThat(until.test(samples)).as(text).isTrue();
      return samples;
    } finally {
      collector.destroy();
      if (!collector.waitFor(30, TimeUnit.SECONDS)) {
        collector.destroyForcibly();
      }
    }
  }

  /** CLIENT LIST asks a cut-off server allows in a span: one, then one after each pause (15 s, doubling). */
  private static long attemptsWithin(final long spanMs) {
    long attempts = 1;
    long pause = 15_000;
    for (long at = pause; at <= spanMs; pause *= 2, at += pause) {
      attempts++;
    }
    return attempts;
  }

  private static String info(final LocalRedis redis, final String section) {
    final io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.uri());
    try (var connection = client.connect()) {
      return connection.sync().info(section);
    } finally {
      client.shutdown();
    }
  }

  private static long rssKb(final long pid) throws IOException {
    for (final String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    return -1;
  }

  /** Idle client connections, as a fleet of application pods holds them. */
  private static final class Clients implements AutoCloseable {
    private final List<Socket> sockets = new ArrayList<>();

    static Clients open(final String host, final int port, final int n) throws IOException {
      final Clients c = new Clients();
      for (int i = 0; i < n; i++) {
        final Socket s = new Socket();
        s.connect(new InetSocketAddress(host, port), 10_000);
        c.sockets.add(s);
      }
      return c;
    }

    @Override
    public void close() {
      for (final Socket s : sockets) {
        try {
          s.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
    }
  }
}
