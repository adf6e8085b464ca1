package dev.oomwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.testkit.PodmanContainers;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The images the build made (images/target/*.oci.tar), loaded from their archives and run by podman
 * as a cluster runs them: the collector's container as the DaemonSet has it (the host's PID
 * namespace and network, /proc, /sys and the cgroups read-only at /host, /dev/kmsg, a read-only root,
 * every capability dropped but the five it starts with) beside Redis containers of the build's
 * Redis image, each in its own network namespace and memory cgroup. One Redis is forked until the
 * kernel kills it; the alert names the container as podman names it, its limit and its cgroup.
 * The other images start as their manifests run them: non-root, read-only, no capability.
 */
class BuiltImagesIT {
  private static final long MB = 1024L * 1024;
  private static final Path IMAGES = Path.of("..", "images", "target");
  private static final String VERSION = System.getProperty("oomwatch.version", "0.1.0-SNAPSHOT");
  private static final Set<AlertType> FORK_KILL = EnumSet.of(AlertType.FORK_COW_SPIKE, AlertType.FORK_OOM_IMMINENT,
      AlertType.KERNEL_OOM_KILL);
  /** DAC_READ_SEARCH (2), SYS_PTRACE (19), SYSLOG (34): what the collector keeps once it is uid 65534. */
  private static final long KEPT_CAPS = 1L << 2 | 1L << 19 | 1L << 34;

  @TempDir static Path dir;
  private static Pipeline pipeline;
  private static PodmanContainers podman;
  private static final String TAG = String.valueOf(ProcessHandle.current().pid());

  @BeforeAll
  static void start() throws Exception {
    final var reason = PodmanContainers.unavailableReason();
    assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    final Optional<PodmanContainers> built = PodmanContainers.fromBuild(IMAGES, VERSION);
    assumeTrue(built.isPresent(), () -> "skipped: the build made no images: " + PodmanContainers.notBuiltReason(IMAGES));
    podman = built.get();
    pipeline = new Pipeline(dir);
  }

  @AfterAll
  static void stop() {
    if (podman != null) {
      podman.close();
    }
    if (pipeline != null) {
      pipeline.close();
    }
  }

  @Test
  void theCollectorsContainerSeesAKillInARedisContainerAndNamesItAsItsRuntimeDoes() throws Exception {
    final PodmanContainers.Container victim = podman.redis("img-" + TAG + "-a", 256, "--save", "3600 1");
    final PodmanContainers.Container quiet = podman.redis("img-" + TAG + "-b", 400, "--save", "3600 1");
    final String collector = podman.run("oomwatch-collector-" + TAG, collectorArgs());
    pipeline.redisSamples.awaitOrFail(list -> List.of(victim.name(), quiet.name()).stream().allMatch(n -> list.stream()
        .anyMatch(s -> n.equals(s.getInstance()) && s.getReachable())), Duration.ofSeconds(120),
        "both containers sampled under their names by the collector's container; its log:\n" + podman.logs(collector));

    // what it runs as: uid 65534 with three capabilities, on a read-only root
    final long pid = Long.parseLong(podman.inspect(collector, "{{.State.Pid}}"));
    final String status = Files.readString(Path.of("/proc", String.valueOf(pid), "status"));
    assertThat(status).containsPattern("(?m)^Uid:\\s+65534\\s+65534\\s+65534\\s+65534$");
    assertThat(Long.parseLong(field(status, "CapEff"), 16)).as("its effective capabilities").isEqualTo(KEPT_CAPS);
    assertThat(podman.inspect(collector, "{{.HostConfig.ReadonlyRootfs}}")).isEqualTo("true");

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
      public boolean serving(final long serverPid) {
        return victim.alive() && victim.hostPid() == serverPid;
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
    System.out.printf("[images] %s%n", killAlert.getSummary());
    assertThat(killAlert.getContainerName()).isEqualTo(victim.name());
    assertThat(killAlert.getEvidence()).containsEntry("victimRole", "SERVER")
        .containsEntry("limitBytes", String.valueOf(256 * MB))
        .containsEntry("cgroup", victim.cgroupPath())
        .containsEntry("container", victim.name());
    assertThat(pipeline.alerts.all().stream().map(TopicLog.Arrived::value)
        .filter(x -> quiet.name().equals(x.getInstance())).toList())
        .as("the other container").noneMatch(x -> FORK_KILL.contains(x.getType()));
    assertThat(podman.inspect(collector, "{{.State.Running}}")).as("the collector's container still runs").isEqualTo("true");
  }

  /** The DaemonSet's pod, as podman flags. */
  private static List<String> collectorArgs() {
    final List<String> args = new ArrayList<>(List.of("--pid=host", "--network=host", "--read-only",
        "--tmpfs", "/tmp:size=16m", "--cap-drop=ALL", "--cap-add=SETUID,SETGID,DAC_READ_SEARCH,SYS_PTRACE,SYSLOG",
        "--security-opt", "no-new-privileges", "--device", "/dev/kmsg:/dev/kmsg:r",
        "-v", "/proc:/host/proc:ro", "-v", "/sys:/host/sys:ro", "-v", "/sys/fs/cgroup:/host/sys/fs/cgroup:ro",
        "-v", "/run/containers:/host/run/containers:ro",
        "-v", "/var/lib/containers/storage/overlay-containers:/host/var/lib/containers/storage/overlay-containers:ro"));
    final Map<String, String> env = Map.of(
        "OOMWATCH_KAFKA_BOOTSTRAP_SERVERS", pipeline.kafka.bootstrapServers(),
        "OOMWATCH_HOST_ID", Pipeline.HOST,
        "OOMWATCH_SAMPLE_INTERVAL", "500ms",
        "OOMWATCH_REDIS_DISCOVER", "true",
        "OOMWATCH_REDIS_DISCOVER_INTERVAL", "500ms",
        "OOMWATCH_COLLECTOR_METRICS_PORT", "0",
        "OOMWATCH_KERNEL_PROC_ROOT", "/host/proc",
        "OOMWATCH_KERNEL_SYS_ROOT", "/host/sys",
        "OOMWATCH_KERNEL_CGROUP_ROOT", "/host/sys/fs/cgroup",
        "OOMWATCH_KERNEL_RUNTIME_BUNDLES", "/host/run/containers/storage/overlay-containers/{id}/userdata/config.json,"
            + "/host/var/lib/containers/storage/overlay-containers/{id}/userdata/config.json");
    env.forEach((k, v) -> args.addAll(List.of("-e", k + "=" + v)));
    args.addAll(List.of("-e", "OOMWATCH_KERNEL_RUNTIME_CONTAINERS=/host/var/lib/containers/storage/overlay-containers/containers.json"));
    args.add("localhost/oomwatch/collector:" + VERSION);
    return args;
  }

  @Test
  void theStreamsAppsImageRunsAsItsUserOnAReadOnlyRootAndGetsToRunning() throws Exception {
    assertThat(podman.inspect("localhost/oomwatch/streams-app:" + VERSION, "{{.Config.User}}")).isEqualTo("10001:10001");
    final int http = freePort();
    final String streams = podman.run("oomwatch-streams-" + TAG, List.of("--network=host", "--read-only",
        "--cap-drop=ALL", "--security-opt", "no-new-privileges", "--tmpfs", "/tmp",
        "--tmpfs", "/var/lib/oomwatch:rw,mode=1777",
        "-e", "OOMWATCH_KAFKA_BOOTSTRAP_SERVERS=" + pipeline.kafka.bootstrapServers(),
        "-e", "OOMWATCH_STREAMS_APPLICATION_ID=oomwatch-image-" + TAG, "-e", "OOMWATCH_TOPIC_PARTITIONS=1",
        "-e", "OOMWATCH_HTTP_PORT=" + http, "-e", "OOMWATCH_STREAMS_METRICS_PORT=0",
        "localhost/oomwatch/streams-app:" + VERSION));
    // /healthz answers 200 once Kafka Streams runs: RocksDB's native library loaded from /tmp, state written
    final HttpClient client = HttpClient.newHttpClient();
    final long deadline = System.currentTimeMillis() + 120_000;
    int code = -1;
    while (System.currentTimeMillis() < deadline && code != 200) {
      try {
        code = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/healthz")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (IOException e) {
        // not listening yet
      }
      if (code != 200) {
        assertThat(podman.inspect(streams, "{{.State.Running}}")).as("the container runs; its log:%n%s",
            podman.logs(streams)).isEqualTo("true");
        Thread.sleep(250);
      }
    }
    assertThat(code).as("/healthz of the streams-app's container; its log:%n%s", podman.logs(streams)).isEqualTo(200);
    final long pid = Long.parseLong(podman.inspect(streams, "{{.State.Pid}}"));
    assertThat(Files.readString(Path.of("/proc", String.valueOf(pid), "status")))
        .containsPattern("(?m)^Uid:\\s+10001\\s+10001\\s+10001\\s+10001$");
  }

  @Test
  void theArchiversImageAnswersSqlAndTheBridgesStartsAsTheirUser() {
    for (final String image : List.of("archiver", "alertmanager")) {
      assertThat(podman.inspect("localhost/oomwatch/" + image + ":" + VERSION, "{{.Config.User}}")).isEqualTo("10001:10001");
    }
    // DuckDB's native library, unpacked into /tmp as uid 10001 on a read-only root
    final String sql = podman.runToEnd(List.of("--read-only", "--cap-drop=ALL", "--tmpfs", "/tmp",
        "--tmpfs", "/var/lib/oomwatch/archive:rw,mode=1777", "--entrypoint", "/opt/oomwatch/bin/sql",
        "localhost/oomwatch/archiver:" + VERSION, "--format", "csv", "SELECT 6 * 7 AS answer"), 120);
    assertThat(sql).as("sql in the archiver's image").startsWith("0\n").contains("answer").contains("42");
    final String help = podman.runToEnd(List.of("--read-only", "--cap-drop=ALL", "--tmpfs", "/tmp",
        "localhost/oomwatch/alertmanager:" + VERSION, "--help"), 120);
    assertThat(help).as("the bridge's --help").startsWith("0\n").contains("Usage:");
  }

  private static String field(final String status, final String name) {
    return status.lines().filter(l -> l.startsWith(name + ":")).findFirst().orElseThrow()
        .substring(name.length() + 1).strip();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
