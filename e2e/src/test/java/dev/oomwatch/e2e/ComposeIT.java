package dev.oomwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oomwatch.testkit.PodmanContainers;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository's docker-compose.yml started for real, as a user would: docker-compose against
 * podman's Docker API, with the images the build made (Kafka, Redis, the collector, the
 * streams-app). It checks that the streams-app's API, on the host's loopback as the file publishes
 * it, judges the compose file's Redis with the kernel's figures: found by the collector's discovery
 * in the host's /proc, its identity resolved, its 512 MB limit read from its memory cgroup.
 */
class ComposeIT {
  private static final Path IMAGES = Path.of("..", "images", "target");
  private static final String VERSION = System.getProperty("oomwatch.version", "0.1.0-SNAPSHOT");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void theComposeFileStartsAndItsRedisIsJudgedWithItsContainersLimit() throws Exception {
    final var reason = PodmanContainers.unavailableReason();
    assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    assumeTrue(PodmanContainers.installed("docker-compose"), "skipped: no docker-compose (apt-get install docker-compose)");
    final Optional<PodmanContainers> built = PodmanContainers.fromBuild(IMAGES, VERSION);
    assumeTrue(built.isPresent(), () -> "skipped: the build made no images: " + PodmanContainers.notBuiltReason(IMAGES));
    final Path socket = dir.resolve("podman.sock");
    final Path compose = Path.of("..", "docker-compose.yml").toAbsolutePath().normalize();
    final String project = "oomwatch-compose-" + ProcessHandle.current().pid();
    final Map<String, String> env = Map.of("DOCKER_HOST", "unix://" + socket, "HOSTNAME", "compose-host",
        "COMPOSE_HTTP_TIMEOUT", "300");
    final List<String> composeCmd = List.of("docker-compose", "--no-ansi", "-p", project, "-f", compose.toString());
    try (PodmanContainers podman = built.get()) {
      // podman's Docker-compatible API, for as long as the test runs
      final Process service = podman.start(List.of("podman", "system", "service", "--time=0", "unix://" + socket),
          dir.resolve("podman-service.log"));
      try {
        final long up = System.currentTimeMillis() + 30_000;
        while (!Files.exists(socket) && System.currentTimeMillis() < up) {
          Thread.sleep(100);
        }
        assertThat(socket).as("podman's API socket; its log: %s", read(dir.resolve("podman-service.log"))).exists();
        final String started = podman.execute(concat(composeCmd, "up", "-d"), env, 600);
        assertThat(started).as("docker-compose up").startsWith("0\n");

        final JsonNode redis = awaitInstance(podman, composeCmd, env);
        System.out.printf("[compose] %s%n", redis);
        assertThat(redis.path("latest").path("limit").asLong()).as("the redis service's mem_limit")
            .isEqualTo(512L * 1024 * 1024);
        assertThat(redis.path("latest").path("physical").asLong()).isPositive();
        assertThat(redis.path("host").asText()).isEqualTo("compose-host");
        // one server, resolved to its host process; named by its container's id from its cgroup path
        assertThat(redis.path("identity").asText()).isEqualTo("RESOLVED");
        assertThat(redis.path("instance").asText()).matches("[0-9a-f]{12}");
        assertThat(redis.path("limitSource").asText()).contains(redis.path("instance").asText());
      } finally {
        podman.execute(concat(composeCmd, "down", "-v", "-t", "5"), env, 300);
        service.destroy();
        service.waitFor();
      }
    }
  }

  /** The compose file's Redis as the streams-app's API has it, once it has a kernel figure. */
  private static JsonNode awaitInstance(final PodmanContainers podman, final List<String> composeCmd,
      final Map<String, String> env) throws Exception {
    final HttpClient http = HttpClient.newHttpClient();
    final long deadline = System.currentTimeMillis() + 240_000;
    String last = "";
    while (System.currentTimeMillis() < deadline) {
      try {
        final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:7411/api/instances"))
            .GET().build(), HttpResponse.BodyHandlers.ofString());
        last = r.statusCode() + " " + r.body();
        if (r.statusCode() == 200) {
          for (final JsonNode i : JSON.readTree(r.body())) {
            // joined with its container's cgroup: a snapshot taken before the collector's first host sample
            // of the server has the host's RAM as its limit
            if (i.path("latest").path("physical").isNumber() && i.path("latest").path("cgroupLimit").isNumber()) {
              return i;
            }
          }
        }
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(500);
    }
    throw new AssertionError("no instance with kernel figures in the compose file's API within 240 s; last answer: "
        + last + "\nlogs:\n" + podman.execute(concat(composeCmd, "logs", "--tail", "40"), env, 120));
  }

  private static List<String> concat(final List<String> a, final String... b) {
    final java.util.ArrayList<String> out = new java.util.ArrayList<>(a);
    out.addAll(List.of(b));
    return out;
  }

  private static String read(final Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file) : "";
  }
}
