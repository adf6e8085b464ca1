package dev.oomwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.collector.Collector;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.testkit.PodmanContainers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two redis-servers in real containers podman started (runc, 256 and 400 MB), found by discovery.
 * One is filled and forked under writes until the kernel kills it: the kill alert names the
 * container as podman names it, its limit and its cgroup; the other stays quiet.
 */
class PodmanOomKillEndToEndIT {
  private static final long MB = 1024L * 1024;
  private static final Set<AlertType> FORK_KILL = EnumSet.of(AlertType.FORK_COW_SPIKE, AlertType.FORK_OOM_IMMINENT,
      AlertType.KERNEL_OOM_KILL);

  @TempDir Path dir;

  @Test
  void theKilledContainerIsNamedAsItsRuntimeNamesItAndTheOtherStaysQuiet() throws Exception {
    final var reason = PodmanContainers.unavailableReason();
    assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    final String tag = String.valueOf(ProcessHandle.current().pid());
    try (Pipeline pipeline = new Pipeline(dir); PodmanContainers podman = PodmanContainers.create()) {
      final PodmanContainers.Container victim = podman.redis("cache-" + tag + "-a", 256, "--save", "3600 1");
      final PodmanContainers.Container quiet = podman.redis("cache-" + tag + "-b", 400, "--save", "3600 1");
      try (Collector collector = pipeline.collector(Map.of("redis.discover", "true",
          "redis.discover.interval", "500ms"))) {
        pipeline.redisSamples.awaitOrFail(list -> List.of(victim.name(), quiet.name()).stream().allMatch(n -> list.stream()
            .anyMatch(s -> n.equals(s.getInstance()) && s.getReachable())), Duration.ofSeconds(90),
            "both containers sampled under their names");
        final KernelEvent kill = OomKillEndToEndIT.forkUntilKilled(pipeline, new OomKillEndToEndIT.Victim() {
          @Override
          public String instance() {
            return victim.name();
          }

          @Override
          public String cgroupPath() {
            return victim.cgroupPath();
          }

          @Override
          public boolean serving(final long pid) {
            return victim.alive() && victim.hostPid() == pid;
          }

          @Override
          public String uri() {
            return victim.uri();
          }

          @Override
          public long oomKills() {
            return victim.oomKills();
          }
        }, victim.limitBytes(), victim.hostPid(), false);
        pipeline.alerts.await(list -> list.stream().anyMatch(x -> victim.name().equals(x.getInstance())
            && x.getType() == AlertType.KERNEL_OOM_KILL), Duration.ofSeconds(30));
        pipeline.awaitProcessed();

        assertThat(kill.getVictimPid()).isEqualTo(victim.hostPid());
        final Alert killAlert = pipeline.alerts.all().stream().map(TopicLog.Arrived::value)
            .filter(x -> victim.name().equals(x.getInstance()) && x.getType() == AlertType.KERNEL_OOM_KILL
                && x.getStatus() == AlertStatus.FIRING && String.valueOf(victim.hostPid()).equals(x.getEvidence().get("victimPid")))
            .findFirst().orElseThrow();
        System.out.printf("[podman] %s%n", killAlert.getSummary());
        assertThat(killAlert.getContainerName()).isEqualTo(victim.name());
        assertThat(killAlert.getEvidence()).containsEntry("victimRole", "SERVER")
            .containsEntry("limitBytes", String.valueOf(256 * MB))
            .containsEntry("cgroup", victim.cgroupPath())
            .containsEntry("limitHit", "CONTAINER")
            .containsEntry("container", victim.name());
        assertThat(killAlert.getSummary()).contains("Why: ");
        assertThat(pipeline.alerts.all().stream().map(TopicLog.Arrived::value)
            .filter(x -> quiet.name().equals(x.getInstance())).toList())
            .as("the other container").noneMatch(x -> FORK_KILL.contains(x.getType()));
      }
    }
  }
}
