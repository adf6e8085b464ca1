package dev.oomwatch.collector.discover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.collector.Collector;
import dev.oomwatch.collector.CollectorConfig;
import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.PodmanContainers;
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
 * Redis in real containers that podman started (runc, its own network and PID namespaces, a
 * memory cgroup /libpod_parent/libpod-&lt;id&gt; with the limit given), found by discovery and named
 * by the runtime's own list of its containers, never by what the container says of itself.
 */
class PodmanContainersIT {
  private static final long MB = 1024L * 1024;

  @TempDir Path dir;

  @Test
  void containersPodmanStartedAreDiscoveredNamedAndLimitedAsTheRuntimeSaysThey() throws Exception {
    final var reason = PodmanContainers.unavailableReason();
    assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    final String tag = String.valueOf(ProcessHandle.current().pid());
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        PodmanContainers podman = PodmanContainers.create()) {
      final PodmanContainers.Container small = podman.redis("oomwatch-it-" + tag + "-a", 200);
      final PodmanContainers.Container large = podman.redis("oomwatch-it-" + tag + "-b", 300);
      final Settings settings = Settings.of(Map.of(
          "kafka.bootstrap.servers", kafka.bootstrapServers(),
          "host.id", "node-1",
          "sample.interval", "500ms",
          "redis.discover.interval", "500ms",
          "topic.partitions", "1"));
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      final List<RedisSample> redis;
      final List<HostSample> host;
      try (Collector collector = Collector.start(CollectorConfig.from(settings))) {
        redis = TopicRecords.read(kafka.bootstrapServers(), "oomwatch.redis-samples", Serdes.redisSample().deserializer(),
            list -> reachable(list, small.name()) && reachable(list, large.name()), Duration.ofSeconds(120));
        host = TopicRecords.read(kafka.bootstrapServers(), "oomwatch.host-samples", Serdes.hostSample().deserializer(),
            list -> server(list, small) != null && server(list, large) != null, Duration.ofSeconds(60));
      }
      for (final PodmanContainers.Container c : List.of(small, large)) {
        assertThat(reachable(redis, c.name())).as("%s sampled under its container's name", c.name()).isTrue();
        final RedisSample sample = redis.stream().filter(s -> s.getInstance().equals(c.name()) && s.getReachable())
            .findFirst().orElseThrow();
        assertThat(sample.getServerHostPid()).isEqualTo(c.hostPid());
        assertThat(sample.getContainerName()).isEqualTo(c.name());
        assertThat(sample.getContainerId()).isEqualTo(c.id());
        final ProcessMemory p = server(host, c);
        System.out.printf("[podman] %s: pid %d at %s, cgroup %s, limit %d MB, runtime %s, name %s (%s)%n", c.name(),
            c.hostPid(), c.address(), p.getCgroup().getPath(), p.getCgroup().getLimit() / MB,
            p.getContainer().getRuntime(), p.getContainer().getContainerName(), p.getContainer().getNameSource());
        assertThat(p.getCgroup().getPath()).isEqualTo("/libpod_parent/libpod-" + c.id());
        assertThat(p.getCgroup().getLimit()).isEqualTo(c.limitBytes());
        assertThat(p.getContainer().getRuntime()).isEqualTo("podman");
        assertThat(p.getContainer().getContainerId()).isEqualTo(c.id());
        assertThat(p.getContainer().getContainerName()).isEqualTo(c.name());
        assertThat(p.getContainer().getNameSource()).isEqualTo("containers.json");
      }
    }
  }

  private static boolean reachable(final List<RedisSample> samples, final String instance) {
    return samples.stream().anyMatch(s -> s.getInstance().equals(instance) && s.getReachable());
  }

  private static ProcessMemory server(final List<HostSample> samples, final PodmanContainers.Container c) {
    ProcessMemory found = null;
    for (final HostSample h : samples) {
      for (final ProcessMemory p : h.getProcesses()) {
        if (p.getPid() == c.hostPid() && p.getContainer() != null && p.getCgroup() != null) {
          found = p;
        }
      }
    }
    return found;
  }
}
