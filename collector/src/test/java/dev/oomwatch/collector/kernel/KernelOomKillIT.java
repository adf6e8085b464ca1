package dev.oomwatch.collector.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.collector.Collector;
import dev.oomwatch.collector.CollectorConfig;
import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.ProcessRole;
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
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real failure on this machine's kernel: a redis-server in a 96 MiB memory cgroup, filled to
 * ~70 MB, BGSAVE under writes. Copy-on-write pushes the cgroup over its limit and the kernel's
 * OOM killer takes the server. The collector must publish the kill, naming the pid and cgroup,
 * and must have shown the fork child and the limit before it.
 */
class KernelOomKillIT {
  private static final long LIMIT = 96L * 1024 * 1024;

  @TempDir Path dir;

  @Test
  void theKillOfARealRedisServerIsPublishedWithItsPidAndCgroup() throws Exception {
    final var reason = MemoryCgroup.unavailableReason();
    assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");

    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        MemoryCgroup cgroup = MemoryCgroup.create("kill", LIMIT);
        LocalRedis redis = LocalRedis.start(dir.resolve("redis"), cgroup.procs(),
            "--save", "", "--appendonly", "no")) {
      final Settings settings = Settings.of(Map.of(
          "kafka.bootstrap.servers", kafka.bootstrapServers(),
          "host.id", "it-host",
          "redis.uris", redis.uri(),
          "sample.interval", "250ms",
          "topic.partitions", "1"));
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      final long serverPid = redis.pid();

      try (Collector collector = Collector.start(CollectorConfig.from(settings))) {
        ForkUntilKilled.run(redis, cgroup, Duration.ofSeconds(60));
        // only this test's cgroup: the collector also reads back kills of the last minutes (other tests')
        final List<KernelEvent> kills = TopicRecords.read(kafka.bootstrapServers(), "oomwatch.kernel-events",
            Serdes.kernelEvent().deserializer(), list -> list.stream().anyMatch(e -> cgroup.path().equals(e.getTaskMemcg())),
            Duration.ofSeconds(30)).stream().filter(e -> cgroup.path().equals(e.getTaskMemcg())).toList();

        assertThat(kills).as("a kernel OOM kill within 60 s").isNotEmpty();
        final KernelEvent kill = kills.get(0);
        assertThat(kill.getVictimPid()).isEqualTo(serverPid);
        assertThat(kill.getVictimComm()).isEqualTo("redis-server");
        assertThat(kill.getTaskMemcg()).isEqualTo(cgroup.path());
        assertThat(kill.getOomMemcg()).isEqualTo(cgroup.path());
        assertThat(kill.getConstraint()).isEqualTo("CONSTRAINT_MEMCG");
        assertThat(kill.getMemcgLimit()).isEqualTo(LIMIT);
        assertThat(Math.abs(kill.getTimestampMs() - System.currentTimeMillis())).as("wall clock").isLessThan(60_000L);

        final List<HostSample> hosts = TopicRecords.read(kafka.bootstrapServers(), "oomwatch.host-samples",
            Serdes.hostSample().deserializer(), list -> list.stream().anyMatch(h -> h.getTimestampMs() > kill.getTimestampMs()),
            Duration.ofSeconds(30));
        final List<HostSample> before = hosts.stream().filter(h -> h.getTimestampMs() <= kill.getTimestampMs()).toList();
        assertThat(before).as("host samples before the kill").isNotEmpty();
        assertThat(before).anySatisfy(h -> {
          final List<ProcessMemory> children = h.getProcesses().stream()
              .filter(p -> p.getRole() == ProcessRole.FORK_CHILD && p.getServerPid() == serverPid).toList();
          assertThat(children).as("the fork child of %d", serverPid).isNotEmpty();
        });
        // A second clear of the kill: the kill's stamp is the kernel's clock converted to wall time,
        // and a sample taken as the OOM killer took the server reads it half gone (no cgroup).
        final List<HostSample> settled = before.stream()
            .filter(h -> h.getTimestampMs() <= kill.getTimestampMs() - 1_000).toList();
        assertThat(settled).as("host samples a second before the kill").isNotEmpty();
        final ProcessMemory server = settled.get(settled.size() - 1).getProcesses().stream()
            .filter(p -> p.getPid() == serverPid).findFirst().orElseThrow();
        assertThat(server.getCgroup().getPath()).isEqualTo(cgroup.path());
        assertThat(server.getCgroup().getLimit()).isEqualTo(LIMIT);
        assertThat(server.getVmRss()).isGreaterThan(50_000_000L);
        System.out.printf("kill at %d; %d host samples before it; collector metrics %s%n",
            kill.getTimestampMs(), before.size(), collector.metrics().snapshot());
      }
    }
  }
}
