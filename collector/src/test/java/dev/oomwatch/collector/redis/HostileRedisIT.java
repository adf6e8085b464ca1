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
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.testkit.TopicRecords;
import dev.oomwatch.wire.Serdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two servers that are not what they say, beside a real one, on one collector: one answers INFO
 * with a 2 GB reply it never finishes, one never answers at all. Neither takes the collector's
 * memory nor delays the real instance's samples; each sample says what went wrong.
 */
class HostileRedisIT {
  private static final String TOPIC = "oomwatch.redis-samples";

  @TempDir Path dir;
  private final List<Process> servers = new ArrayList<>();

  @AfterEach
  void stop() throws InterruptedException {
    for (final Process p : servers) {
      p.destroyForcibly().waitFor();
    }
  }

  @Test
  void aFloodingServerIsCutOffAtTheBudgetSilentAndDrippingOnesTimeOutAndTheRealOneIsSampledThroughout()
      throws Exception {
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    final var noPerl = Impostor.unavailableReason();
    assumeTrue(noPerl.isEmpty(), () -> "skipped: " + noPerl.orElse(""));
    final int flood = start("flood");
    final int silent = start("silent");
    final int drip = start("drip");
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        LocalRedis real = LocalRedis.start(dir.resolve("redis"), "--save", "")) {
      final Settings settings = Settings.of(Map.of(
          "kafka.bootstrap.servers", kafka.bootstrapServers(),
          "host.id", "it-host",
          "redis.uris", real.uri() + "#real,redis://127.0.0.1:" + flood + "#flood,redis://127.0.0.1:" + silent + "#silent,"
              + "redis://127.0.0.1:" + drip + "#drip",
          "sample.interval", "250ms",
          "kernel.enabled", "false",
          "topic.partitions", "1"));
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      final List<RedisSample> samples;
      try (Collector collector = Collector.start(CollectorConfig.from(settings))) {
        samples = TopicRecords.read(kafka.bootstrapServers(), TOPIC, Serdes.redisSample().deserializer(), list -> {
          final long cutOffAt = firstFailure(list, "flood", "reply larger than");
          final long silentAt = firstFailure(list, "silent", "");
          final long dripAt = firstFailure(list, "drip", "");
          return cutOffAt > 0 && silentAt > 0 && dripAt > 0 && list.stream().filter(s -> s.getInstance().equals("real")
              && s.getReachable() && s.getTimestampMs() > Math.max(cutOffAt, Math.max(silentAt, dripAt))).count() >= 10;
        }, Duration.ofSeconds(120));
      }
      final RedisSample cut = samples.stream().filter(s -> s.getInstance().equals("flood") && !s.getReachable()
          && s.getUnreachableReason().contains("reply larger than")).findFirst().orElseThrow(() -> new AssertionError(
              "the flooding server was never cut off: " + samples.stream().filter(s -> s.getInstance().equals("flood"))
                  .map(RedisSample::getUnreachableReason).distinct().toList()));
      System.out.printf("[hostile] the flooding server: %s%n", cut.getUnreachableReason());
      assertThat(cut.getUnreachableReason()).contains("16 MB");
      assertThat(samples).filteredOn(s -> s.getInstance().equals("flood")).noneMatch(RedisSample::getReachable);
      assertThat(samples).filteredOn(s -> s.getInstance().equals("silent")).isNotEmpty().noneMatch(RedisSample::getReachable);
      // bytes keep coming, so only the command's own timeout ends it
      assertThat(samples).filteredOn(s -> s.getInstance().equals("drip")).isNotEmpty().noneMatch(RedisSample::getReachable);
      System.out.printf("[hostile] the dripping server: %s%n", samples.stream().filter(s -> s.getInstance().equals("drip"))
          .map(RedisSample::getUnreachableReason).distinct().toList());
      assertThat(samples).filteredOn(s -> s.getInstance().equals("real")).allMatch(RedisSample::getReachable);
    }
  }

  private static long firstFailure(final List<RedisSample> samples, final String instance, final String reason) {
    return samples.stream().filter(s -> s.getInstance().equals(instance) && !s.getReachable()
        && s.getUnreachableReason() != null && s.getUnreachableReason().contains(reason))
        .mapToLong(RedisSample::getTimestampMs).findFirst().orElse(-1);
  }

  private int start(final String mode) throws Exception {
    final Impostor server = new Impostor(dir.resolve(mode));
    servers.add(server.startOnLoopback(1, mode, dir.resolve(mode + ".log")));
    return server.port();
  }
}
