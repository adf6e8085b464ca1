package dev.oomwatch.collector.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.collector.Collector;
import dev.oomwatch.collector.CollectorConfig;
import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.LocalRedis;
import dev.oomwatch.testkit.MemoryCgroup;
import dev.oomwatch.testkit.ForkUntilKilled;
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.testkit.TopicRecords;
import dev.oomwatch.wire.Serdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel kills a real redis-server while no collector runs (the seconds before `local` reads
 * the kernel log, a collector restarting): the collector that starts next reads the kill back from
 * the kernel log and publishes it; the one after that publishes nothing again.
 */
class KillBeforeStartIT {
  private static final long LIMIT = 96L * 1024 * 1024;

  @TempDir Path dir;

  @Test
  void aKillBeforeTheCollectorStartedIsPublishedOnceAcrossRestarts() throws Exception {
    final var reason = MemoryCgroup.unavailableReason();
    assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    assumeTrue(KernelLogWatcher.readable(Path.of("/dev/kmsg")), "skipped: /dev/kmsg cannot be read");

    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        MemoryCgroup cgroup = MemoryCgroup.create("before", LIMIT);
        LocalRedis redis = LocalRedis.start(dir.resolve("redis"), cgroup.procs(), "--save", "", "--appendonly", "no")) {
      final Settings settings = Settings.of(Map.of(
          "kafka.bootstrap.servers", kafka.bootstrapServers(),
          "host.id", "it-host",
          "redis.uris", redis.uri(),
          "sample.interval", "250ms",
          "topic.partitions", "1"));
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      final long serverPid = redis.pid();
      ForkUntilKilled.run(redis, cgroup, Duration.ofSeconds(60));
      assertThat(redis.isAlive()).as("the kernel killed the server").isFalse();

      try (Collector first = Collector.start(CollectorConfig.from(settings))) {
        final List<KernelEvent> kills = read(kafka, list -> list.stream().anyMatch(e -> e.getVictimPid() == serverPid));
        final KernelEvent kill = kills.stream().filter(e -> e.getVictimPid() == serverPid).findFirst().orElseThrow();
        assertThat(kill.getReplayed()).isTrue();
        assertThat(kill.getTaskMemcg()).isEqualTo(cgroup.path());
        assertThat(kill.getKmsgSequence()).isNotNull();
        assertThat(kill.getBootId()).isNotBlank();
        assertThat(Math.abs(kill.getTimestampMs() - System.currentTimeMillis())).as("its own time").isLessThan(120_000L);
      }
      final Collector second = Collector.start(CollectorConfig.from(settings));
      try {
        final long deadline = System.currentTimeMillis() + 30_000;
        while (second.metrics().kernelReplaySkipped.get() == 0 && System.currentTimeMillis() < deadline) {
          Thread.sleep(100);
        }
        assertThat(second.metrics().kernelReplaySkipped.get()).as("the restarted collector found it published").isPositive();
      } finally {
        second.close(); // its publisher flushed: whatever it sent is on the topic now
      }
      assertThat(second.metrics().publishedByTopic.getOrDefault("oomwatch.kernel-events", new AtomicLong()).get())
          .as("kernel events the restarted collector published").isZero();
      final List<KernelEvent> all = TopicRecords.readAll(kafka.bootstrapServers(), "oomwatch.kernel-events",
          Serdes.kernelEvent().deserializer(), Duration.ofSeconds(30));
      assertThat(all.stream().filter(e -> e.getVictimPid() == serverPid)).as("published once").hasSize(1);
    }
  }

  private static List<KernelEvent> read(final KafkaBackend kafka, final java.util.function.Predicate<List<KernelEvent>> until) {
    return TopicRecords.read(kafka.bootstrapServers(), "oomwatch.kernel-events", Serdes.kernelEvent().deserializer(),
        until, Duration.ofSeconds(20));
  }
}
