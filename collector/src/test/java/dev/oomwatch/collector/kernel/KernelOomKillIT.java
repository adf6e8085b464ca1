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
 * and must have shown the fork child and the limit before it. The scenario waits for the collector
 * at each moment it checks (how long a fill or a fork lasts is the machine's).
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
        final SeenByTheCollector seen = new SeenByTheCollector(kafka.bootstrapServers(), serverPid);
        ForkUntilKilled.run(redis, cgroup, Duration.ofSeconds(60), seen);
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

        // The server as the collector saw it filled, before any fork: its cgroup and limit.
        assertThat(seen.filled.getTimestampMs()).as("the filled server's sample before the kill")
            .isLessThan(kill.getTimestampMs());
        final ProcessMemory server = seen.filled.getProcesses().stream()
            .filter(p -> p.getPid() == serverPid).findFirst().orElseThrow();
        assertThat(server.getRole()).isEqualTo(ProcessRole.SERVER);
        assertThat(server.getCgroup().getPath()).isEqualTo(cgroup.path());
        assertThat(server.getCgroup().getLimit()).isEqualTo(LIMIT);
        assertThat(server.getVmRss()).isGreaterThan(50_000_000L);
        // The fork child the collector showed before the writes that got the server killed.
        assertThat(seen.forked.getTimestampMs()).as("the fork child's sample before the kill")
            .isLessThan(kill.getTimestampMs());
        System.out.printf("kill at %d; filled seen at %d, fork child at %d; collector metrics %s%n",
            kill.getTimestampMs(), seen.filled.getTimestampMs(), seen.forked.getTimestampMs(),
            collector.metrics().snapshot());
      }
    }
  }

  /**
   * The scenario's two moments as the collector published them: the first host sample of the server
   * taken after its fill, and the first showing its fork child. Each read waits for its sample, so
   * the scenario goes on only once the collector has seen it, however fast the fill and the fork.
   */
  private static final class SeenByTheCollector implements ForkUntilKilled.Watcher {
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private final String bootstrap;
    private final long serverPid;
    HostSample filled;
    HostSample forked;

    SeenByTheCollector(final String bootstrap, final long serverPid) {
      this.bootstrap = bootstrap;
      this.serverPid = serverPid;
    }

    @Override
    public void filled() {
      final long after = System.currentTimeMillis();
      filled = first(h -> h.getTimestampMs() > after && h.getProcesses().stream().anyMatch(p -> p.getPid() == serverPid),
          "a host sample of server " + serverPid + " after its fill");
    }

    @Override
    public void forked() {
      forked = first(h -> h.getProcesses().stream()
              .anyMatch(p -> p.getRole() == ProcessRole.FORK_CHILD && p.getServerPid() == serverPid),
          "a host sample with the fork child of " + serverPid);
    }

    private HostSample first(final java.util.function.Predicate<HostSample> wanted, final String what) {
      return TopicRecords.read(bootstrap, "oomwatch.host-samples", Serdes.hostSample().deserializer(),
              list -> list.stream().anyMatch(wanted), PATIENCE).stream().filter(wanted).findFirst()
          .orElseThrow(() -> new AssertionError("no " + what + " within " + PATIENCE.toSeconds() + " s"));
    }
  }
}
