package dev.oomwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oomwatch.alertmanager.AlertmanagerBridge;
import dev.oomwatch.alertmanager.AlertmanagerConfig;
import dev.oomwatch.archive.ArchiveConfig;
import dev.oomwatch.archive.Archiver;
import dev.oomwatch.collector.Collector;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.KernelEventKind;
import dev.oomwatch.testkit.AlertmanagerServer;
import dev.oomwatch.testkit.ForkUntilKilled;
import dev.oomwatch.testkit.LocalRedis;
import dev.oomwatch.testkit.MemoryCgroup;
import dev.oomwatch.testkit.MetricsScrape;
import dev.oomwatch.testkit.PrometheusServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * oomwatch in the stacks observability teams run, all real: Debian's Prometheus scraping the
 * collector, the streams-app, the archiver and the Alertmanager bridge; Debian's Alertmanager fed
 * by the bridge; a redis-server in a memory cgroup that the kernel OOM-kills; Debian's kcat
 * reading the JSON alerts. The steps run in order on one pipeline, as one story.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObservabilityStackIT {
  private static final long MB = 1024L * 1024;
  private static final String INSTANCE = "cache";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path dir;
  private static Pipeline pipeline;
  private static MemoryCgroup cgroup;
  private static LocalRedis redis;
  private static Collector collector;
  private static Archiver archiver;
  private static AlertmanagerServer alertmanager;
  private static AlertmanagerBridge bridge;
  private static PrometheusServer prometheus;
  private static KernelEvent kill;

  @BeforeAll
  static void start() throws Exception {
    final var reason = MemoryCgroup.unavailableReason();
    assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    assumeTrue(PrometheusServer.available(), "skipped: no prometheus binary (apt-get install prometheus)");
    assumeTrue(AlertmanagerServer.available(),
        "skipped: no alertmanager binary (apt-get install prometheus-alertmanager)");
    assumeTrue(kcat() != null, "skipped: no kcat binary (apt-get install kcat)");
    pipeline = new Pipeline(dir, Map.of(
        // a kill holds its alert 20 s here (10 min in production), then the minute's clear time before
        // it resolves: FIRING some 80 s from the kill, through the 12 s Alertmanager outage that
        // follows it with three times the room, RESOLVED soon after
        "detect.event.hold", "20s",
        "archive.dir", dir.resolve("archive").toString(),
        "archive.roll.interval", "2s",
        "alertmanager.resend", "2s",
        "alertmanager.retry.max", "3s"));
    cgroup = MemoryCgroup.create("oomwatch-stack-" + ProcessHandle.current().pid(), 256 * MB);
    redis = LocalRedis.start(dir.resolve("redis"), cgroup.procs(), "--save", "", "--appendonly", "no");
    collector = pipeline.collector(redis.uri() + "#" + INSTANCE);
    archiver = Archiver.start(ArchiveConfig.from(pipeline.settings()));
    alertmanager = AlertmanagerServer.start(dir.resolve("alertmanager"));
    bridge = startBridge();
    prometheus = PrometheusServer.start(dir.resolve("prometheus"), List.of(
        target(collector.metricsUrl()), target(pipeline.streams.metricsUrl()), target(archiver.metricsUrl()),
        target(bridge.metricsUrl())));
  }

  private static AlertmanagerBridge startBridge() {
    return AlertmanagerBridge.start(AlertmanagerConfig.from(pipeline.settings().with(Map.of(
        AlertmanagerConfig.URLS, alertmanager.url(),
        AlertmanagerConfig.PAGE_URL, pipeline.streams.http().orElseThrow().url()))));
  }

  private static String target(final Optional<String> metricsUrl) {
    final URI uri = URI.create(metricsUrl.orElseThrow(() -> new AssertionError("a process serves no /metrics")));
    return uri.getHost() + ":" + uri.getPort();
  }

  @AfterAll
  static void stop() {
    for (final AutoCloseable c : new AutoCloseable[] {prometheus, bridge, alertmanager, archiver, collector, redis}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // the others still close
      }
    }
    if (cgroup != null) {
      cgroup.close();
    }
    if (pipeline != null) {
      pipeline.close();
    }
  }

  @Test
  @Order(1)
  void prometheusShowsThePhysicalMemoryAndLimitTheApiShows() throws Exception {
    final JsonNode api = await("the API's figures for " + INSTANCE, Duration.ofSeconds(60), () -> {
      for (final JsonNode i : get(pipeline.streams.http().orElseThrow().url() + "api/instances")) {
        // joined with the kernel's view of its cgroup: a snapshot taken before the collector's first host
        // sample of the server has its physical memory from Redis's RSS and the host's RAM as its limit
        if (INSTANCE.equals(i.path("instance").asText()) && i.path("latest").path("physical").isNumber()
            && i.path("latest").path("cgroupLimit").isNumber()) {
          return i.path("latest");
        }
      }
      return null;
    });
    final double limit = api.path("limit").asDouble();
    assertThat(limit).isEqualTo(256.0 * MB);
    final String sel = "{host=\"" + Pipeline.HOST + "\",instance=\"" + INSTANCE + "\"}";
    // a scrape before the collector had found the server's cgroup saw the host's RAM as its limit:
    // the next scrapes see the API's figure
    final double promLimit = await("oomwatch_instance_limit_bytes in Prometheus at the API's " + limit,
        Duration.ofSeconds(30), () -> {
          final Double v = value(prometheus.query("oomwatch_instance_limit_bytes" + sel));
          return v != null && v == limit ? v : null;
        });
    assertThat(promLimit).isEqualTo(limit);
    // physical memory moves by pages between a scrape and a request: the same figure within 2 MB
    final double apiPhysical = get(pipeline.streams.http().orElseThrow().url() + "api/instances").findValues("latest")
        .stream().filter(l -> l.path("physical").isNumber()).findFirst().orElseThrow().path("physical").asDouble();
    final double promPhysical = value(prometheus.query("oomwatch_instance_physical_bytes" + sel));
    assertThat(Math.abs(promPhysical - apiPhysical)).isLessThan(2.0 * MB);
    // the collector is a target of its own, scraped at its own moment in the second
    assertThat(await("oomwatch_collector_redis_up in Prometheus", Duration.ofSeconds(10),
        () -> value(prometheus.query("oomwatch_collector_redis_up" + sel)))).isEqualTo(1.0);
    assertThat(value(prometheus.query("sum(oomwatch_collector_samples_total{source=\"redis\"})"))).isPositive();
    System.out.printf("prometheus: %s limit %.0f MB, physical %.1f MB (API %.1f MB)%n", INSTANCE, limit / MB,
        promPhysical / MB, apiPhysical / MB);
  }

  @Test
  @Order(2)
  void aRealKillReachesAlertmanagerWithItsLabelsAndAnnotations() throws Exception {
    ForkUntilKilled.run(redis, cgroup, Duration.ofSeconds(120));
    assertThat(redis.isAlive()).as("the kernel killed redis-server").isFalse();
    final long serverPid = redis.pid();
    kill = await("the kernel's kill of " + serverPid, Duration.ofSeconds(30), () -> pipeline.kernelEvents.all().stream()
        .map(TopicLog.Arrived::value).filter(e -> e.getKind() == KernelEventKind.OOM_KILL && e.getVictimPid() != null
            && e.getVictimPid() == serverPid)
        .findFirst().orElse(null));
    final JsonNode inAlertmanager = await("KERNEL_OOM_KILL in Alertmanager", Duration.ofSeconds(30),
        () -> amAlert(AlertType.KERNEL_OOM_KILL, a -> true));
    final long arrivedMs = System.currentTimeMillis();

    final JsonNode labels = inAlertmanager.path("labels");
    assertThat(labels.path("host").asText()).isEqualTo(Pipeline.HOST);
    assertThat(labels.path("severity").asText()).isIn("critical", "warning");
    final JsonNode annotations = inAlertmanager.path("annotations");
    assertThat(annotations.path("summary").asText()).contains("OOM killer");
    assertThat(annotations.path("description").asText()).contains("victimPid=");
    assertThat(annotations.path("first_check").asText()).isNotBlank();
    assertThat(annotations.path("fix").asText()).isNotBlank();
    assertThat(inAlertmanager.path("generatorURL").asText())
        .startsWith(pipeline.streams.http().orElseThrow().url() + "#i=" + Pipeline.HOST + "%7C" + INSTANCE);
    assertThat(inAlertmanager.path("status").path("state").asText()).isEqualTo("active");
    System.out.printf("alertmanager: kill at %d, KERNEL_OOM_KILL listed by Alertmanager %d ms later%n",
        kill.getTimestampMs(), arrivedMs - kill.getTimestampMs());
  }

  @Test
  @Order(3)
  void kcatReadsTheAlertsAsJsonWithTheHostAsKey() throws Exception {
    final Process kcat = new ProcessBuilder(kcat(), "-b", pipeline.kafka.bootstrapServers(), "-C",
        "-t", "oomwatch.alerts-json", "-o", "beginning", "-e", "-q", "-f", "%k\\t%s\\n")
        .redirectErrorStream(false).start();
    final String out = new String(kcat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(kcat.waitFor()).isZero();
    final List<JsonNode> kills = new ArrayList<>();
    for (final String line : out.split("\n")) {
      final String[] parts = line.split("\t", 2);
      if (parts.length == 2) {
        assertThat(parts[0]).isEqualTo(Pipeline.HOST);
        final JsonNode alert = JSON.readTree(parts[1]);
        if ("KERNEL_OOM_KILL".equals(alert.path("type").asText()) && INSTANCE.equals(alert.path("instance").asText())) {
          kills.add(alert);
        }
      }
    }
    assertThat(kills).as("kcat's lines:%n%s", out).isNotEmpty();
    assertThat(kills.get(0).path("status").asText()).isEqualTo("FIRING");
    assertThat(kills.get(0).path("evidence").path("victimPid").asText()).isNotBlank();
  }

  @Test
  @Order(5) // with the instance up again (a killed one has no memory figures until it is back)
  void everyQueryOfTheDashboardReturnsSeries() throws Exception {
    final JsonNode dashboard = JSON.readTree(Files.readString(Path.of("..", "deploy", "grafana", "oomwatch.json")));
    final List<String> queries = new ArrayList<>();
    dashboard.findValues("expr").forEach(e -> queries.add(e.asText()));
    final Pattern labelValues = Pattern.compile("label_values\\((.+),\\s*\\w+\\)");
    for (final JsonNode variable : dashboard.path("templating").path("list")) {
      final Matcher m = labelValues.matcher(variable.path("definition").asText());
      if (m.matches()) {
        queries.add(m.group(1));
      }
    }
    assertThat(queries).hasSizeGreaterThan(20);
    // the archive writes its first rows at its first roll; every other figure exists by now
    await("rows in the archive", Duration.ofSeconds(30),
        () -> value(prometheus.query("sum(oomwatch_archive_rows_total)")) > 0 ? true : null);
    final List<String> empty = new ArrayList<>();
    for (final String query : queries) {
      // an annotation's threshold ("> 0": a kill in the last minute) is Grafana's to apply; its series must exist
      final String promql = query.replace("$__rate_interval", "1m").replace("$host", ".+").replace("$instance", ".+")
          .replace("$job", ".+").replace("$cluster", ".*").replace("$namespace", ".*").replace("$topn", "10").replaceAll("\\s*>\\s*0$", "");
      final JsonNode result = awaitOrNull(Duration.ofSeconds(10), () -> {
        final JsonNode r = prometheus.query(promql);
        return r.size() > 0 ? r : null;
      });
      if (result == null) {
        empty.add(promql);
      }
    }
    assertThat(empty).as("dashboard queries that return no series").isEmpty();
  }

  @Test
  @Order(4)
  void anAlertThatFiresWhileAlertmanagerIsDownArrivesWhenItIsBack() throws Exception {
    alertmanager.stop();
    final long downAt = System.currentTimeMillis();
    try {
      redis.start(); // as a supervisor would: REDIS_RESTART fires while Alertmanager is away
      await("REDIS_RESTART on the alerts topic", Duration.ofSeconds(30), () -> alertValues().stream()
        .filter(a -> a.getType() == AlertType.REDIS_RESTART && a.getStatus() == AlertStatus.FIRING).findFirst()
        .orElse(null));
      // away long enough for the bridge to have failed posts to it, by its own count
      final String bridgeMetrics = bridge.metricsUrl().orElseThrow();
      final double failedBefore = MetricsScrape.sum(bridgeMetrics, "oomwatch_alertmanager_post_failures_total");
      MetricsScrape.await(bridgeMetrics, "oomwatch_alertmanager_post_failures_total", n -> n >= failedBefore + 2,
          Duration.ofSeconds(60));
      Thread.sleep(Math.max(0, downAt + 12_000 - System.currentTimeMillis()));
    } finally {
      alertmanager.start();
    }
    final long upAt = System.currentTimeMillis();
    await("REDIS_RESTART in Alertmanager", Duration.ofSeconds(30), () -> amAlert(AlertType.REDIS_RESTART, a -> true));
    System.out.printf("alertmanager: back after %d s; REDIS_RESTART listed %d ms later%n", (upAt - downAt) / 1000,
        System.currentTimeMillis() - upAt);
    // the kill, still firing, was sent again too: an Alertmanager that restarted knows it again
    assertThat(alertValues()).as("the kill not yet resolved on the alerts topic (%d s after it)",
        (System.currentTimeMillis() - kill.getTimestampMs()) / 1000).noneMatch(a -> a.getType() == AlertType.KERNEL_OOM_KILL
            && INSTANCE.equals(a.getInstance()) && a.getStatus() == AlertStatus.RESOLVED);
    await("KERNEL_OOM_KILL in Alertmanager again", Duration.ofSeconds(30), () -> amAlert(AlertType.KERNEL_OOM_KILL, a -> true));
  }

  @Test
  @Order(6)
  void theKillsResolvedEndsItInAlertmanager() throws Exception {
    await("KERNEL_OOM_KILL resolved on the alerts topic", Duration.ofSeconds(150), () -> alertValues().stream().filter(a -> a.getType() == AlertType.KERNEL_OOM_KILL && INSTANCE.equals(a.getInstance())
            && a.getStatus() == AlertStatus.RESOLVED).findFirst().orElse(null));
    await("KERNEL_OOM_KILL gone from Alertmanager's alerts", Duration.ofSeconds(15),
        () -> amAlert(AlertType.KERNEL_OOM_KILL, a -> true) == null ? true : null);
  }

  @Test
  @Order(7)
  void aRestartedBridgeStillSendsWhatFiresWithTheSameFingerprintsAndNothingResolved() throws Exception {
    final Set<String> before = fingerprints();
    final JsonNode missized = amAlert(AlertType.MAXMEMORY_MISSIZED, a -> true);
    assertThat(missized).as("maxmemory is unset: MAXMEMORY_MISSIZED fires").isNotNull();
    bridge.close();
    // without the bridge Alertmanager ends every alert at its endsAt (four resends, 8 s here)
    await("Alertmanager to end the alerts no one re-sends", Duration.ofSeconds(30),
        () -> amAlert(AlertType.MAXMEMORY_MISSIZED, a -> true) == null ? true : null);
    bridge = startBridge();
    final JsonNode again = await("MAXMEMORY_MISSIZED in Alertmanager again", Duration.ofSeconds(30),
        () -> amAlert(AlertType.MAXMEMORY_MISSIZED, a -> true));
    assertThat(again.path("fingerprint").asText()).isEqualTo(missized.path("fingerprint").asText());
    assertThat(again.path("startsAt").asText()).isEqualTo(missized.path("startsAt").asText());
    // the restarted bridge has rebuilt its firing set and delivered it again since: anything it
    // wrongly took for firing (the resolved kill) would be in Alertmanager now
    assertThat(bridge.awaitCaughtUp(Duration.ofSeconds(30))).as("the restarted bridge caught up").isTrue();
    final double deliveredAt = System.currentTimeMillis() / 1000.0;
    MetricsScrape.await(bridge.metricsUrl().orElseThrow(), "oomwatch_alertmanager_last_delivery_timestamp_seconds",
        t -> t > deliveredAt, Duration.ofSeconds(30));
    final Set<String> after = fingerprints();
    assertThat(before).containsAll(after);
    assertThat(amAlert(AlertType.KERNEL_OOM_KILL, a -> true)).as("the resolved kill").isNull();
  }

  @Test
  @Order(8)
  void everyProcesssMetricsPassPromtoolsLint() throws Exception {
    // names, units, suffixes and help texts as Prometheus's own linter wants them, on what each
    // process serves after the whole scenario (every metric with its series)
    for (final Optional<String> url : List.of(collector.metricsUrl(), pipeline.streams.metricsUrl(),
        archiver.metricsUrl(), bridge.metricsUrl())) {
      final String text = HTTP.send(HttpRequest.newBuilder(URI.create(url.orElseThrow())).GET().build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertThat(text).contains("# TYPE oomwatch_");
      final Path file = dir.resolve("metrics-" + URI.create(url.get()).getPort() + ".txt");
      Files.writeString(file, text);
      final Process p = new ProcessBuilder("promtool", "check", "metrics").redirectInput(file.toFile())
          .redirectErrorStream(true).redirectOutput(dir.resolve("promtool.out").toFile()).start();
      assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("promtool check metrics on %s: %s", url.get(),
          Files.readString(dir.resolve("promtool.out"))).isZero();
    }
    // the archiver's and the bridge's liveness, as their probes ask it
    for (final Optional<String> url : List.of(archiver.metricsUrl(), bridge.metricsUrl())) {
      final HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(url.orElseThrow()
          .replace("/metrics", "/healthz"))).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).as("%s: %s", url.get(), health.body()).isEqualTo(200);
    }
  }

  // --- helpers

  private static List<Alert> alertValues() {
    return pipeline.alerts.all().stream().map(TopicLog.Arrived::value).toList();
  }

  private static JsonNode amAlert(final AlertType type, final Predicate<JsonNode> also) {
    for (final JsonNode a : alertmanager.alerts()) {
      final JsonNode labels = a.path("labels");
      if (type.name().equals(labels.path("alertname").asText()) && Pipeline.HOST.equals(labels.path("host").asText())
          && (type == AlertType.OVERCOMMIT_HEURISTIC || INSTANCE.equals(labels.path("instance").asText()))
          && also.test(a)) {
        return a;
      }
    }
    return null;
  }

  private static Set<String> fingerprints() {
    final Set<String> out = new HashSet<>();
    alertmanager.alerts().forEach(a -> out.add(a.path("fingerprint").asText()));
    return out;
  }

  private static double value(final JsonNode result) {
    assertThat(result.size()).as("one series: %s", result).isEqualTo(1);
    return Double.parseDouble(result.get(0).path("value").get(1).asText());
  }

  private static JsonNode get(final String url) throws IOException, InterruptedException {
    final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return r.statusCode() == 200 ? JSON.readTree(r.body()) : JSON.createArrayNode();
  }

  private interface Probe<T> {
    T get() throws Exception;
  }

  private static <T> T await(final String what, final Duration timeout, final Probe<T> probe) throws Exception {
    final T value = awaitOrNull(timeout, probe);
    if (value == null) {
      throw new AssertionError("no " + what + " within " + timeout.toSeconds() + " s");
    }
    return value;
  }

  private static <T> T awaitOrNull(final Duration timeout, final Probe<T> probe) throws Exception {
    final long deadline = System.currentTimeMillis() + timeout.toMillis();
    while (true) {
      T value = null;
      try {
        value = probe.get();
      } catch (AssertionError | RuntimeException e) {
        // not there yet
      }
      if (value != null || System.currentTimeMillis() > deadline) {
        return value;
      }
      Thread.sleep(50);
    }
  }

  private static String kcat() {
    for (final String p : List.of("/usr/bin/kcat", "/usr/local/bin/kcat", "/usr/bin/kafkacat")) {
      if (Files.isExecutable(Path.of(p))) {
        return p;
      }
    }
    return null;
  }
}
