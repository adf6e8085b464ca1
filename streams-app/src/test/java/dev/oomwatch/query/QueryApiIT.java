package dev.oomwatch.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oomwatch.config.Settings;
import dev.oomwatch.history.HistoryConfig;
import dev.oomwatch.streams.OomwatchTopology;
import dev.oomwatch.streams.StreamsApp;
import dev.oomwatch.streams.StreamsAppConfig;
import dev.oomwatch.streams.TwoAppCluster;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API on a running topology: two streams-app instances share the partitions, and every
 * question asked of either gets the whole answer, keys owned by the other fetched from it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueryApiIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  @TempDir static Path dir;
  private TwoAppCluster cluster;

  @BeforeAll
  void startCluster() throws Exception {
    cluster = new TwoAppCluster(dir);
    // every instance, and the killed one's restart, have been processed by whichever app owns them
    awaitOk(cluster.url(cluster.a) + "api/instances", body -> body.size() == cluster.hosts.size()
        && restarted(body));
    awaitOk(cluster.url(cluster.a) + "api/incidents", body -> body.size() == 1);
  }

  @AfterAll
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void eitherInstanceServesEveryHostsTimelineFetchingFromTheOwner() throws Exception {
    final Set<String> forwardedByA = new HashSet<>();
    final Set<String> forwardedByB = new HashSet<>();
    final String selfA = URI.create(cluster.url(cluster.a)).getAuthority();
    final String selfB = URI.create(cluster.url(cluster.b)).getAuthority();
    for (final String host : cluster.hosts) {
      final String path = "api/instances/" + URLEncoder.encode(host + ":6379", StandardCharsets.UTF_8)
          + "/timeline?host=" + host + "&from=0";
      final HttpResponse<String> fromA = get(cluster.url(cluster.a) + path);
      final HttpResponse<String> fromB = get(cluster.url(cluster.b) + path);
      assertThat(fromA.statusCode()).isEqualTo(200);
      assertThat(fromB.statusCode()).isEqualTo(200);
      final JsonNode a = JSON.readTree(fromA.body());
      assertThat(a.path("points").size()).as("%s has its snapshots", host).isGreaterThan(20);
      assertThat(JSON.readTree(fromB.body()).path("points")).as("same answer from both").isEqualTo(a.path("points"));
      final String servedA = fromA.headers().firstValue("X-Oomwatch-Served-By").orElseThrow();
      final String servedB = fromB.headers().firstValue("X-Oomwatch-Served-By").orElseThrow();
      assertThat(servedA).as("one owner per host").isEqualTo(servedB);
      if (!servedA.equals(selfA)) {
        forwardedByA.add(host);
      }
      if (!servedB.equals(selfB)) {
        forwardedByB.add(host);
      }
    }
    assertThat(forwardedByA).as("A fetched some hosts from B").isNotEmpty();
    assertThat(forwardedByB).as("B fetched some hosts from A").isNotEmpty();
    assertThat(forwardedByA).doesNotContainAnyElementsOf(forwardedByB);
  }

  @Test
  void theInstanceIdAloneFindsItsHost() throws Exception {
    final HttpResponse<String> r = get(cluster.url(cluster.b) + "api/instances/"
        + URLEncoder.encode(cluster.killedInstance, StandardCharsets.UTF_8) + "/timeline?from=0");
    assertThat(r.statusCode()).isEqualTo(200);
    final JsonNode t = JSON.readTree(r.body());
    assertThat(t.path("host").asText()).isEqualTo(cluster.killedHost);
    assertThat(t.path("kills").size()).isEqualTo(1);
    final JsonNode forking = t.path("points").findValues("forking").stream().filter(JsonNode::asBoolean).findFirst()
        .orElse(null);
    assertThat(forking).as("the fork shows in the timeline").isNotNull();
    // the quiet minutes half an hour before are past the full-resolution window: served in buckets
    assertThat(t.path("buckets").size()).as("ten minutes in 10 s buckets").isBetween(55, 61);
    final JsonNode bucket = t.path("buckets").get(0);
    assertThat(bucket.path("toMs").asLong() - bucket.path("fromMs").asLong()).isEqualTo(10_000);
    assertThat(bucket.path("figures").path("usedMemory").path("max").asLong())
        .isGreaterThanOrEqualTo(bucket.path("figures").path("usedMemory").path("min").asLong());
    assertThat(t.path("resolution").findValuesAsText("resolution")).contains("10s", "full");
    assertThat(get(cluster.url(cluster.b) + "api/instances/nope:1/timeline").statusCode()).isEqualTo(400);
  }

  @Test
  void incidentsArePagedAndCarryTheirSnapshotsOnlyWhenAsked() throws Exception {
    final JsonNode page = JSON.readTree(get(cluster.url(cluster.a) + "api/incidents").body());
    assertThat(page.size()).isEqualTo(1);
    assertThat(page.get(0).path("snapshots")).as("no snapshots unless asked").isEmpty();
    assertThat(page.get(0).path("alerts")).isNotEmpty();
    final HttpResponse<String> full = get(cluster.url(cluster.b) + "api/incidents?limit=1");
    assertThat(JSON.readTree(full.body()).size()).isEqualTo(1);
    // a full page links to the next, older one; the last page links nowhere
    final String next = full.headers().firstValue("Link").orElseThrow();
    assertThat(next).isEqualTo("</api/incidents?limit=1&to=" + (cluster.killAtMs - 1) + ">; rel=\"next\"");
    final HttpResponse<String> older = get(cluster.url(cluster.a) + next.substring(2, next.indexOf('>')));
    assertThat(JSON.readTree(older.body()).size()).isZero();
    assertThat(older.headers().firstValue("Link")).isEmpty();
    assertThat(page.size() < 50 ? get(cluster.url(cluster.a) + "api/incidents").headers().firstValue("Link") : null)
        .as("a page that is not full").isEmpty();
    final HttpResponse<String> tooMany = get(cluster.url(cluster.a) + "api/incidents?snapshots=true&limit=21");
    assertThat(tooMany.statusCode()).isEqualTo(400);
    assertThat(tooMany.body()).contains("between 1 and 20");
    assertThat(get(cluster.url(cluster.a) + "api/incidents?limit=0").statusCode()).isEqualTo(400);
  }

  @Test
  void incidentsCarryTheSnapshotsAndAlertsAroundTheKill() throws Exception {
    for (final StreamsApp app : List.of(cluster.a, cluster.b)) {
      final JsonNode incidents = JSON.readTree(get(cluster.url(app) + "api/incidents?snapshots=true").body());
      assertThat(incidents.size()).isEqualTo(1);
      final JsonNode incident = incidents.get(0);
      assertThat(incident.path("instance").asText()).isEqualTo(cluster.killedInstance);
      assertThat(incident.path("timestampMs").asLong()).isEqualTo(cluster.killAtMs);
      assertThat(incident.path("kill").path("role").asText()).isEqualTo("SERVER");
      final HistoryConfig defaults = HistoryConfig.defaults();
      final List<Long> times = new ArrayList<>();
      incident.path("snapshots").forEach(p -> times.add(p.path("timestampMs").asLong()));
      assertThat(times).hasSizeGreaterThan(60).allSatisfy(ts -> assertThat(ts)
          .isBetween(cluster.killAtMs - defaults.incidentBefore().toMillis(),
              cluster.killAtMs + defaults.incidentAfter().toMillis()));
      final List<String> types = new ArrayList<>();
      incident.path("alerts").forEach(a -> types.add(a.path("type").asText()));
      assertThat(types).contains("COW_HEADROOM_LOW", "FORK_OOM_IMMINENT", "KERNEL_OOM_KILL", "REDIS_RESTART");
    }
  }

  @Test
  void alertsAndInstancesAreWholeAndFilterable() throws Exception {
    final JsonNode kills = JSON.readTree(get(cluster.url(cluster.a) + "api/alerts?status=firing&type=KERNEL_OOM_KILL").body());
    assertThat(kills.size()).isEqualTo(1);
    assertThat(kills.get(0).path("instance").asText()).isEqualTo(cluster.killedInstance);
    final JsonNode quiet = JSON.readTree(get(cluster.url(cluster.b) + "api/alerts?host=" + cluster.hosts.get(1)).body());
    assertThat(quiet.size()).as("a quiet host has no alerts").isZero();
    final JsonNode all = JSON.readTree(get(cluster.url(cluster.b) + "api/alerts").body());
    assertThat(all.size()).isGreaterThanOrEqualTo(4);

    final JsonNode instances = JSON.readTree(get(cluster.url(cluster.b) + "api/instances").body());
    assertThat(instances.size()).isEqualTo(cluster.hosts.size());
    final JsonNode victim = find(instances, cluster.killedInstance);
    assertThat(victim.path("latest").path("usedMemory").asLong()).isEqualTo(5L * 1024 * 1024);
    final List<String> firing = new ArrayList<>();
    victim.path("firing").forEach(a -> firing.add(a.path("type").asText()));
    assertThat(firing).contains("KERNEL_OOM_KILL", "REDIS_RESTART");
    final JsonNode quietOne = find(instances, cluster.hosts.get(1) + ":6379");
    assertThat(quietOne.path("latest").path("cgroupLimit").asLong()).isEqualTo(2048L * 1024 * 1024);
    assertThat(quietOne.path("headroom").asLong()).isEqualTo((2048L - 120) * 1024 * 1024);
  }

  @Test
  void withoutTheTokenNothingIsServedAndWritesAreRefused() throws Exception {
    final HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create(cluster.url(cluster.a) + "api/alerts"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.body()).doesNotContain(cluster.killedHost);
    final HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(cluster.url(cluster.a) + "api/alerts"))
        .header("Authorization", "Bearer " + TwoAppCluster.TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(http.send(HttpRequest.newBuilder(URI.create(cluster.url(cluster.a))).build(),
        HttpResponse.BodyHandlers.ofString()).body()).as("the page itself holds no data").contains("oomwatch");
    // the kubelet's probe needs no token, and is told the state only
    final HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(cluster.url(cluster.a) + "healthz"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body().strip()).isIn("RUNNING", "REBALANCING");
  }

  @Test
  void anInstanceWhoseStoresAreNotOpenSays503WithRetryAfterNotAPartialAnswer() throws Exception {
    final Map<String, String> values = new HashMap<>();
    values.put("kafka.bootstrap.servers", cluster.kafka.bootstrapServers());
    values.put("streams.state.dir", dir.resolve("c").toString());
    values.put("streams.application.id", "oomwatch-query-it");
    values.put("http.port", "0");
    final StreamsAppConfig config = StreamsAppConfig.from(Settings.of(values));
    // Kafka Streams created but not started: the state every instance is in before its stores open
    // (and, like REBALANCING, one in which a local answer could be missing partitions).
    try (QueryServer server = QueryServer.start(config.query(), config.history());
         KafkaStreams notStarted = new KafkaStreams(
             OomwatchTopology.build(config.kafka(), config.detection(), config.history()), config.streamsProperties())) {
      server.attach(notStarted, config.history());
      for (final String path : List.of("api/instances", "api/alerts", "api/incidents",
          "api/instances/x:1/timeline?host=cache-01")) {
        final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).as(path).hasValue("2");
        assertThat(JSON.readTree(r.body()).path("error").asText()).as(path).contains("CREATED");
      }
      final HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(server.url() + "healthz")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).as("not ready before it runs").isEqualTo(503);
      assertThat(health.body().strip()).isEqualTo("CREATED");
    }
  }

  @Test
  void halfSentRequestsHoldNoThreadForLong() throws Exception {
    final URI api = URI.create(cluster.url(cluster.a));
    final List<java.net.Socket> slow = new ArrayList<>();
    try {
      // twice as many as the server has threads, each a request line and one header, then nothing
      for (int i = 0; i < 16; i++) {
        final java.net.Socket s = new java.net.Socket(api.getHost(), api.getPort());
        s.getOutputStream().write(("GET /api/alerts HTTP/1.1\r\nHost: " + api.getAuthority() + "\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        slow.add(s);
      }
      // without a limit on reading a request this waits forever: every thread waits for a header
      final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(cluster.url(cluster.a) + "api/alerts"))
          .header("Authorization", "Bearer " + TwoAppCluster.TOKEN).timeout(java.time.Duration.ofSeconds(180)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(slow.get(0).getInputStream().read()).as("the server closed a half-sent request").isEqualTo(-1);
    } finally {
      for (final java.net.Socket s : slow) {
        s.close();
      }
    }
  }

  @Test
  void replicasAskedForTheWholeFleetAtOnceNeverWaitOnEachOther() throws Exception {
    final List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    // many clients at both instances at once, each asking for what both hold: each instance's
    // requests ask the other, whose threads are asking back
    for (int i = 0; i < 24; i++) {
      for (final StreamsApp app : List.of(cluster.a, cluster.b)) {
        calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(cluster.url(app) + "api/instances"))
            .header("Authorization", "Bearer " + TwoAppCluster.TOKEN).build(), HttpResponse.BodyHandlers.ofString()));
      }
    }
    int whole = 0;
    for (final var call : calls) {
      final HttpResponse<String> r = call.get();
      if (r.statusCode() == 200) {
        assertThat(JSON.readTree(r.body()).size()).isEqualTo(cluster.hosts.size());
        whole++;
      } else {
        // refused at once and told to come back, never a wait on the other instance that ended in a timeout
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(JSON.readTree(r.body()).path("error").asText()).startsWith("busy");
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
      }
    }
    assertThat(whole).as("some of them answered whole").isPositive();
  }

  private static JsonNode find(final JsonNode instances, final String instance) {
    for (final JsonNode i : instances) {
      if (i.path("instance").asText().equals(instance)) {
        return i;
      }
    }
    throw new AssertionError("no instance " + instance + " in " + instances);
  }

  private static boolean restarted(final JsonNode instances) {
    for (final JsonNode i : instances) {
      if (i.path("latest").path("usedMemory").asLong() == 5L * 1024 * 1024) {
        return true;
      }
    }
    return false;
  }

  private HttpResponse<String> get(final String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + TwoAppCluster.TOKEN)
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private void awaitOk(final String url, final java.util.function.Predicate<JsonNode> done) throws Exception {
    final long deadline = System.currentTimeMillis() + 90_000;
    String last = "";
    while (System.currentTimeMillis() < deadline) {
      final HttpResponse<String> r = get(url);
      last = r.statusCode() + " " + r.body();
      if (r.statusCode() == 200 && done.test(JSON.readTree(r.body()))) {
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("no whole answer from " + url + " in 90 s; last: " + last);
  }
}
