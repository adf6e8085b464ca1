package dev.oomwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oomwatch.collector.Collector;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.testkit.KubePods;
import dev.oomwatch.testkit.LocalRedis;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Kubernetes node with three Redis pods, as the host sees it: three redis-servers, each pid 1 in
 * its own PID namespace, each in its own network namespace on 0.0.0.0:6379 with the same title,
 * each in a kubepods memory cgroup with its own limit (300, 400, 500 MB). One is filled and forked
 * under writes until the kernel kills it. Every instance must be judged against its own process
 * and limit, the warnings and the kill must name that pod, and the other pods stay quiet.
 */
class PodOomKillEndToEndIT {
  private static final long MB = 1024L * 1024;
  private static final Set<AlertType> FORK_KILL_RESTART = EnumSet.of(AlertType.FORK_COW_SPIKE,
      AlertType.FORK_OOM_IMMINENT, AlertType.KERNEL_OOM_KILL, AlertType.REDIS_RESTART, AlertType.RESTART_STORM);

  @TempDir Path dir;

  @Test
  void theKilledPodIsNamedJudgedAgainstItsOwnLimitAndTheOtherPodsStayQuiet() throws Exception {
    final var reason = KubePods.unavailableReason();
    assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    try (Pipeline pipeline = new Pipeline(dir); KubePods node = KubePods.create(dir.resolve("node"))) {
      final String[] args = {"--save", "3600 1", "--appendonly", "no"};
      final KubePods.Pod a = node.start("cache-a-7d9f", "shop", 300 * MB, true, args);
      final KubePods.Pod b = node.start("cache-b-5c2x", "shop", 400 * MB, true, args);
      final KubePods.Pod c = node.start("sessions-0", "auth", 500 * MB, false, args);
      final Map<String, String> settings = new HashMap<>();
      settings.put("redis.uris", a.uri() + "#pod-a," + b.uri() + "#pod-b," + c.uri() + "#pod-c");
      settings.put("kernel.runtime.bundles", node.bundlePattern());
      try (Collector collector = pipeline.collector(settings)) {
        awaitSnapshots(pipeline, Map.of("pod-a", a, "pod-b", b, "pod-c", c));

        final long serverPid = b.hostPid();
        final KernelEvent kill = OomKillEndToEndIT.forkUntilKilled(pipeline, new OomKillEndToEndIT.Victim() {
          @Override
          public String instance() {
            return "pod-b";
          }

          @Override
          public String cgroupPath() {
            return b.cgroupPath();
          }

          @Override
          public boolean serving(final long pid) {
            return b.alive() && b.hostPid() == pid;
          }

          @Override
          public String uri() {
            return b.uri();
          }

          @Override
          public long oomKills() {
            return b.oomKills();
          }
        }, b.limit, serverPid, false);
        pipeline.alerts.await(list -> list.stream().anyMatch(x -> "pod-b".equals(x.getInstance())
            && x.getType() == AlertType.KERNEL_OOM_KILL), Duration.ofSeconds(30));
        pipeline.awaitProcessed(); // anything the other pods would wrongly raise from the kill is on the topic now

        assertThat(kill.getVictimPid()).as("the kernel killed pod-b's server by its host pid").isEqualTo(serverPid);
        final List<Alert> ofB = alertsOf(pipeline, "pod-b");
        // the server's kill (the kernel may have taken a fork child first: that one has its own event)
        final Alert killAlert = ofB.stream().filter(x -> x.getType() == AlertType.KERNEL_OOM_KILL
            && x.getStatus() == AlertStatus.FIRING && String.valueOf(serverPid).equals(x.getEvidence().get("victimPid")))
            .findFirst().orElseGet(() -> first(ofB, AlertType.KERNEL_OOM_KILL));
        assertThat(killAlert.getPodName()).isEqualTo(b.name);
        assertThat(killAlert.getPodNamespace()).isEqualTo(b.namespace);
        assertThat(killAlert.getContainerName()).isEqualTo("redis");
        assertThat(killAlert.getEvidence()).containsEntry("victimRole", "SERVER")
            .containsEntry("victimPid", String.valueOf(serverPid))
            .containsEntry("limitBytes", String.valueOf(b.limit))
            .containsEntry("pod", b.namespace + "/" + b.name)
            .containsEntry("limitHit", "CONTAINER");
        final List<Alert> warnings = ofB.stream().filter(x -> x.getStatus() == AlertStatus.FIRING
            && (x.getType() == AlertType.FORK_COW_SPIKE || x.getType() == AlertType.FORK_OOM_IMMINENT)).toList();
        assertThat(warnings).as("a fork warning for pod-b before its kill%n%s",
            WhatItSaw.before(pipeline, "pod-b", kill.getTaskMemcg(), kill, 10_000)).isNotEmpty();
        assertThat(warnings.get(0).getEventTimeMs()).isLessThan(kill.getTimestampMs());
        assertThat(warnings.get(0).getPodName()).isEqualTo(b.name);
        assertThat(warnings).allSatisfy(w -> assertThat(w.getSummary()).contains("400 MB"));
        for (final String quiet : List.of("pod-a", "pod-c")) {
          assertThat(alertsOf(pipeline, quiet)).as("alerts of %s", quiet)
              .noneMatch(x -> FORK_KILL_RESTART.contains(x.getType()));
        }
        final long arrived = pipeline.alerts.all().stream().filter(x -> x.value() == killAlert)
            .mapToLong(TopicLog.Arrived::arrivedAtMs).findFirst().orElse(-1);
        System.out.printf("[pods] LATENCY kill->KERNEL_OOM_KILL on the alerts topic: %d ms; LEAD first fork warning->kill: %d ms%n",
            arrived - kill.getTimestampMs(), kill.getTimestampMs() - warnings.get(0).getEventTimeMs());
      }
    }
  }

  /**
   * Waits until the streams-app shows every pod as its own instance: the host pid the collector
   * resolved, and the pod's own cgroup and limit, not another pod's.
   */
  private static void awaitSnapshots(final Pipeline pipeline, final Map<String, KubePods.Pod> pods) throws Exception {
    final String url = pipeline.streams.http().orElseThrow().url() + "api/instances";
    final HttpClient http = HttpClient.newHttpClient();
    final ObjectMapper json = new ObjectMapper();
    // the view fills in over a few samples (the limit first, the identity once resolved): each check
    // is tried again until all hold or a run that is stuck ends
    final long deadline = System.currentTimeMillis() + 90_000;
    while (true) {
      try {
        final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("%s: %s", url, response.body()).isEqualTo(200);
        final Map<String, JsonNode> seen = new HashMap<>();
        json.readTree(response.body()).forEach(n -> seen.put(n.path("instance").asText(), n));
        for (final Map.Entry<String, KubePods.Pod> e : pods.entrySet()) {
          assertSnapshot(pipeline, e.getKey(), e.getValue(), seen);
        }
        return;
      } catch (AssertionError e) {
        if (System.currentTimeMillis() > deadline) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
  }

  private static void assertSnapshot(final Pipeline pipeline, final String instance, final KubePods.Pod pod,
      final Map<String, JsonNode> seen) {
    final JsonNode view = seen.get(instance);
    assertThat(view).as("instance %s in /api/instances: %s", instance, seen).isNotNull();
    assertThat(view.path("latest").path("cgroupLimit").asLong()).as("%s's limit", instance).isEqualTo(pod.limit);
    assertThat(view.path("limitSource").asText()).isEqualTo("cgroup " + pod.cgroupPath());
    assertThat(view.path("pod").asText()).as("%s's pod", instance)
        .isEqualTo(pod.name.equals("sessions-0") ? pod.name : pod.namespace + "/" + pod.name);
    assertThat(view.path("identity").asText()).as("%s's identity", instance).isEqualTo("RESOLVED");
    final RedisSample last = pipeline.redisSamples.all().stream().map(TopicLog.Arrived::value)
        .filter(s -> instance.equals(s.getInstance()) && s.getReachable()).reduce((x, y) -> y)
        .orElseThrow(() -> new AssertionError("no reachable sample of " + instance));
    assertThat(last.getServerHostPid()).as("%s's host pid", instance).isEqualTo(pod.hostPid());
    assertThat(last.getProcessId()).as("Redis's own pid in its namespace").isEqualTo(1L);
    assertThat(last.getPodUid()).isEqualTo(pod.uid);
    assertThat(last.getContainerId()).isEqualTo(pod.containerId);
  }

  private static List<Alert> alertsOf(final Pipeline pipeline, final String instance) {
    return pipeline.alerts.all().stream().map(TopicLog.Arrived::value)
        .filter(x -> instance.equals(x.getInstance())).toList();
  }

  private static Alert first(final List<Alert> alerts, final AlertType type) {
    return alerts.stream().filter(x -> x.getType() == type && x.getStatus() == AlertStatus.FIRING).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " in " + alerts.stream()
            .map(x -> x.getType() + "/" + x.getStatus()).toList()));
  }
}
