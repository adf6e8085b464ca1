package dev.oomwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.collector.Collector;
import dev.oomwatch.collector.CollectorConfig;
import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.KernelEventKind;
import dev.oomwatch.schema.ProcessRole;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.streams.StreamsApp;
import dev.oomwatch.streams.StreamsAppConfig;
import dev.oomwatch.streams.StreamsCommand;
import dev.oomwatch.testkit.ClusterKafka;
import dev.oomwatch.testkit.ForkUntilKilled;
import dev.oomwatch.testkit.LocalRedis;
import dev.oomwatch.testkit.MemoryCgroup;
import dev.oomwatch.testkit.TopicRecords;
import dev.oomwatch.wire.Serdes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What production does to oomwatch, on a real three-node Kafka cluster (a JVM per node, topics with
 * three replicas, two in sync) with the real OOM scenario running through each fault: a
 * redis-server in a memory cgroup forked under writes until the kernel kills it. Each test asserts
 * that the kill alert arrives, that no alert event, kernel event or sample is duplicated and no
 * sample is missing, and prints what the fault cost.
 */
class ClusterFaultsIT {
  private static final long MB = 1024L * 1024;
  private static final int PARTITIONS = 2;

  @TempDir static Path dir;
  private static ClusterKafka kafka;
  private static TopicLog<Alert> alerts;
  private static TopicLog<KernelEvent> kernelEvents;
  private static TopicLog<RedisSample> redisSamples;
  private static TopicLog<HostSample> hostSamples;

  @BeforeAll
  static void start() {
    final var reason = MemoryCgroup.unavailableReason();
    assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    kafka = new ClusterKafka(dir.resolve("kafka"), 3);
    TopicRecords.provision(kafka.bootstrapServers(), base("provision"));
    alerts = new TopicLog<>(kafka.bootstrapServers(), "oomwatch.alerts", Serdes.alert().deserializer());
    kernelEvents = new TopicLog<>(kafka.bootstrapServers(), "oomwatch.kernel-events", Serdes.kernelEvent().deserializer());
    redisSamples = new TopicLog<>(kafka.bootstrapServers(), "oomwatch.redis-samples", Serdes.redisSample().deserializer());
    hostSamples = new TopicLog<>(kafka.bootstrapServers(), "oomwatch.host-samples", Serdes.hostSample().deserializer());
  }

  @AfterAll
  static void stop() {
    for (final AutoCloseable c : new AutoCloseable[] {alerts, kernelEvents, redisSamples, hostSamples, kafka}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // the rest still close
      }
    }
  }

  /** Settings every process of one test shares; {@code host} keeps each test's records apart. */
  private static Settings base(final String host) {
    final Map<String, String> values = new HashMap<>();
    values.put("kafka.bootstrap.servers", kafka.bootstrapServers());
    values.put("topic.partitions", String.valueOf(PARTITIONS));
    values.put("host.id", host);
    values.put("sample.interval", "500ms");
    values.put("http.port", "0");
    values.put("collector.metrics.port", "0");
    values.put("streams.metrics.port", "0");
    // a member killed is noticed in 6 s, not the default 45 s
    values.put("streams.config.session.timeout.ms", "6000");
    return Settings.of(values);
  }

  @Test
  void theLeaderBrokerKilledDuringAForkThatEndsInAKill() throws Exception {
    final String host = "fault-broker";
    final Settings settings = base(host);
    try (StreamsApp app = streamsApp(settings, "faults-broker", "a");
        Scenario scenario = new Scenario(host, settings)) {
      final int partition = partitionOf(host);
      final AtomicReference<Long> killedAt = new AtomicReference<>();
      final AtomicReference<Integer> killed = new AtomicReference<>();
      scenario.runUntilKilled(() -> {
        final int leader = kafka.leaderOf("oomwatch.redis-samples", partition);
        killed.set(leader);
        killedAt.set(System.currentTimeMillis());
        kafka.cluster().kill(leader);
        System.out.printf("broker fault: node %d (leader of redis-samples-%d) SIGKILLed during the fork%n",
            leader, partition);
      });
      final Alert kill = scenario.awaitKillAlert();
      System.out.printf("broker fault: the kill alert came %d ms after the kernel's kill (node %d down since %d ms"
          + " before the kill)%n", scenario.alertDelayMs(kill), killed.get(), scenario.kill.getTimestampMs() - killedAt.get());
      scenario.assertNothingLostOrDuplicated("faults-broker");
      kafka.cluster().startNode(killed.get());
      kafka.cluster().awaitBrokers(3, Duration.ofSeconds(90));
    }
  }

  @Test
  void aRollingRestartOfTheStreamsAppsDuringAFork() throws Exception {
    final String host = "fault-rolling";
    final Settings settings = base(host);
    final StreamsApp[] apps = {streamsApp(settings, "faults-rolling", "a"), streamsApp(settings, "faults-rolling", "b")};
    try (Scenario scenario = new Scenario(host, settings)) {
      scenario.runUntilKilled(() -> {
        // each stopped cleanly and started again in turn, while the fork copies
        for (int i = 0; i < apps.length; i++) {
          final long t0 = System.currentTimeMillis();
          apps[i].close();
          apps[i] = streamsApp(settings, "faults-rolling", i == 0 ? "a" : "b");
          System.out.printf("rolling restart: streams-app %d back in %d ms%n", i + 1, System.currentTimeMillis() - t0);
        }
      });
      final Alert kill = scenario.awaitKillAlert();
      System.out.printf("rolling restart: the kill alert came %d ms after the kernel's kill%n", scenario.alertDelayMs(kill));
      scenario.assertNothingLostOrDuplicated("faults-rolling");
    } finally {
      for (final StreamsApp app : apps) {
        app.close();
      }
    }
  }

  @Test
  void theStreamsAppOwningTheHostKilledDuringAForkItsStandbyTakesOver() throws Exception {
    final String host = "fault-streams";
    final Settings settings = base(host);
    final int[] ports = {dev.oomwatch.broker.EmbeddedKafka.freePort(), dev.oomwatch.broker.EmbeddedKafka.freePort()};
    final Process[] apps = {streamsProcess(host, ports[0], "a"), streamsProcess(host, ports[1], "b")};
    final HttpClient http = HttpClient.newHttpClient();
    try (Scenario scenario = new Scenario(host, settings)) {
      awaitAnswer(http, ports[0]);
      awaitAnswer(http, ports[1]);
      final AtomicReference<Long> killedAt = new AtomicReference<>();
      final List<String> answers = java.util.Collections.synchronizedList(new ArrayList<>());
      final AtomicReference<Long> served = new AtomicReference<>(-1L);
      final AtomicReference<Throwable> wrong = new AtomicReference<>();
      final AtomicReference<Integer> ownerIndex = new AtomicReference<>(0);
      final Thread poller = new Thread(() -> {
        // the survivor's answers from the loss until it serves the instance again: 503s, then the whole answer
        try {
          final int port = ports[1 - ownerIndex.get()];
          final long deadline = System.currentTimeMillis() + 120_000;
          while (System.currentTimeMillis() < deadline && served.get() < 0) {
            if (killedAt.get() == null) {
              Thread.sleep(20);
              continue;
            }
            final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/api/instances")).GET().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            answers.add(String.valueOf(r.statusCode()));
            assertThat(r.statusCode()).as("answers of the survivor: %s", answers).isIn(200, 503);
            if (r.statusCode() == 200) {
              assertThat(r.body()).as("a 200 is the whole answer: it has the instance")
                  .contains("\"" + scenario.instance + "\"");
              served.set(System.currentTimeMillis());
            }
            Thread.sleep(100);
          }
        } catch (Throwable t) {
          wrong.set(t);
        }
      }, "survivor-poller");
      await("the instance in the API", Duration.ofSeconds(60), () -> http.send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + ports[0] + "/api/instances")).GET().build(), HttpResponse.BodyHandlers.ofString())
          .body().contains("\"" + scenario.instance + "\"") ? true : null);
      final int owner = ownerOf(http, ports, host, scenario.instance);
      ownerIndex.set(owner);
      poller.start();
      scenario.runUntilKilled(() -> {
        apps[owner].destroyForcibly();
        killedAt.set(System.currentTimeMillis());
        System.out.printf("streams fault: the streams-app owning %s SIGKILLed during the fork%n", host);
      });
      poller.join();
      if (wrong.get() != null) {
        throw new AssertionError("the survivor's API: " + wrong.get().getMessage(), wrong.get());
      }
      final long servedAt = served.get();
      assertThat(servedAt).as("the survivor serves the instance again").isPositive();
      final Alert kill = scenario.awaitKillAlert();
      final long firstAfterLoss = alertValues(host).stream().filter(a -> a.getEventTimeMs() >= killedAt.get())
          .mapToLong(a -> arrivalOf(a)).min().orElse(-1);
      System.out.printf("streams fault: API %s; serving again %d ms after the loss; first alert %d ms after it;"
          + " the kill alert %d ms after the kernel's kill%n", summarize(answers), servedAt - killedAt.get(),
          firstAfterLoss - killedAt.get(), scenario.alertDelayMs(kill));
      scenario.assertNothingLostOrDuplicated("faults-streams");
    } finally {
      for (final Process p : apps) {
        p.destroy();
        p.waitFor();
      }
    }
  }

  // --- the scenario and its checks

  /** A redis-server in its own memory cgroup with a collector for {@code host}. */
  private static final class Scenario implements AutoCloseable {
    final String host;
    final String instance;
    final MemoryCgroup cgroup;
    final LocalRedis redis;
    final Collector collector;
    long serverPid;
    KernelEvent kill;

    Scenario(final String host, final Settings settings) {
      this.host = host;
      this.instance = host + "-redis";
      this.cgroup = MemoryCgroup.create(host, 256 * MB);
      this.redis = LocalRedis.start(dir.resolve(host), cgroup.procs(), "--save", "", "--appendonly", "no");
      this.serverPid = redis.pid();
      this.collector = Collector.start(CollectorConfig.from(settings.with(Map.of(
          CollectorConfig.REDIS_URIS, redis.uri() + "#" + instance))));
    }

    interface Fault {
      void inject() throws Exception;
    }

    /**
     * Forks under writes until the kernel kills the server, injecting the fault once the collector
     * has published the first fork child and the server still lives: the scenario holds its writes
     * until the fault is in, so the fault always comes during a fork and before the kill, however
     * fast this machine fills and copies (the kill ends that fork, or the next if a long fault
     * outlasted its save).
     */
    void runUntilKilled(final Fault fault) throws Exception {
      ForkUntilKilled.run(redis, cgroup, Duration.ofSeconds(120), new ForkUntilKilled.Watcher() {
        @Override
        public void filled() throws Exception {
          final long after = System.currentTimeMillis();
          await("a host sample of " + serverPid + " filled", Duration.ofSeconds(60), () -> hostSamples.all().stream()
              .map(TopicLog.Arrived::value).anyMatch(h -> host.equals(h.getHost()) && h.getTimestampMs() > after
                  && h.getProcesses().stream().anyMatch(p -> p.getPid() == serverPid)) ? true : null);
        }

        @Override
        public void forked() throws Exception {
          await("a fork child of " + serverPid, Duration.ofSeconds(60), () -> hostSamples.all().stream()
              .map(TopicLog.Arrived::value).filter(h -> host.equals(h.getHost()))
              .anyMatch(h -> h.getProcesses().stream().anyMatch(p -> p.getRole() == ProcessRole.FORK_CHILD
                  && p.getServerPid() == serverPid)) ? true : null);
          assertThat(redis.isAlive()).as("the server alive when the fault comes").isTrue();
          fault.inject();
        }
      });
      assertThat(redis.isAlive()).as("the kernel killed redis-server").isFalse();
      kill = await("the kernel's kill of " + serverPid, Duration.ofSeconds(60), () -> kernelEvents.all().stream()
          .map(TopicLog.Arrived::value).filter(e -> host.equals(e.getHost()) && e.getKind() == KernelEventKind.OOM_KILL
              && e.getVictimPid() != null && e.getVictimPid() == serverPid).findFirst().orElse(null));
    }

    Alert awaitKillAlert() throws Exception {
      return await("KERNEL_OOM_KILL naming " + serverPid, Duration.ofSeconds(90), () -> alertValues(host).stream()
          .filter(a -> a.getType() == AlertType.KERNEL_OOM_KILL && a.getStatus() == AlertStatus.FIRING
              && String.valueOf(serverPid).equals(a.getEvidence().get("victimPid"))).findFirst().orElse(null));
    }

    long alertDelayMs(final Alert alert) {
      return arrivalOf(alert) - kill.getTimestampMs();
    }

    /**
     * Once the collector has stopped and sent all it took, and the streams-app {@code appId} has
     * committed everything on its input topics, every record is counted: none lost, none twice.
     */
    void assertNothingLostOrDuplicated(final String appId) throws Exception {
      // every sample the collector took is on its topic once, in the order taken: what it took is
      // what it counted (the publish buffer empty first: a broker's death delays samples, never drops them)
      await("the collector's buffer to empty", Duration.ofSeconds(60),
          () -> collector.publisher().bufferedRecords() == 0 ? true : null);
      closeCollector(); // it stops taking samples and sends what it holds
      TopicRecords.awaitConsumed(kafka.bootstrapServers(), appId,
          dev.oomwatch.topics.Topic.inputNames(dev.oomwatch.topics.Topic.DEFAULT_PREFIX), Duration.ofSeconds(120));
      for (final TopicLog<?> log : List.of(alerts, kernelEvents, redisSamples, hostSamples)) {
        log.awaitCaughtUp(Duration.ofSeconds(60));
      }
      final List<Alert> events = alertValues(host);
      final Map<String, Long> counts = events.stream().collect(Collectors.groupingBy(
          a -> a.getAlertId() + "/" + a.getStatus() + "/" + a.getSeverity() + "/" + a.getEventTimeMs(),
          Collectors.counting()));
      assertThat(counts).as("alert events written more than once").allSatisfy((k, n) -> assertThat(n).isEqualTo(1L));
      assertThat(events.stream().filter(a -> a.getType() == AlertType.KERNEL_OOM_KILL && a.getStatus() == AlertStatus.FIRING
          && String.valueOf(serverPid).equals(a.getEvidence().get("victimPid"))).count())
          .as("the kill alert, once").isEqualTo(1);
      assertThat(kernelEvents.all().stream().map(TopicLog.Arrived::value)
          .filter(e -> host.equals(e.getHost()) && e.getVictimPid() != null && e.getVictimPid() == serverPid
              && e.getKind() == KernelEventKind.OOM_KILL).count()).as("the kernel's kill, once").isEqualTo(1);
      final long taken = collector.metrics().redisSamples.get() + collector.metrics().redisUnreachable.get();
      final List<Long> times = redisSamples.all().stream().map(TopicLog.Arrived::value)
          .filter(s -> host.equals(s.getHost())).map(RedisSample::getTimestampMs).toList();
      assertThat(times).as("Redis samples, each once").doesNotHaveDuplicates();
      assertThat(times.stream().sorted().toList()).as("Redis samples in the order taken").isEqualTo(times);
      final long hostTaken = collector.metrics().hostSamples.get();
      final long hostOnTopic = hostSamples.all().stream().filter(h -> host.equals(h.value().getHost())).count();
      assertThat((long) times.size()).as("Redis samples on the topic against those the collector took")
          .isEqualTo(taken);
      assertThat(hostOnTopic).as("host samples on the topic against those the collector took").isEqualTo(hostTaken);
      System.out.printf("%s: %d alert events; %d Redis and %d host samples taken, all on the topics once, in order%n",
          host, events.size(), times.size(), hostOnTopic);
    }

    private boolean collectorClosed;

    void closeCollector() {
      if (!collectorClosed) {
        collectorClosed = true;
        collector.close();
      }
    }

    @Override
    public void close() {
      closeCollector();
      redis.close();
      cgroup.close();
    }
  }

  // --- helpers

  private static StreamsApp streamsApp(final Settings settings, final String appId, final String name) {
    final StreamsApp app = StreamsApp.start(StreamsAppConfig.from(settings.with(Map.of(
        StreamsAppConfig.APPLICATION_ID, appId,
        StreamsAppConfig.STATE_DIR, dir.resolve("state-" + appId + "-" + name).toString()))));
    try {
      app.awaitRunning(Duration.ofSeconds(90));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return app;
  }

  private static Process streamsProcess(final String host, final int port, final String name) throws Exception {
    final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), StreamsCommand.class.getName(),
        "--bootstrap", kafka.bootstrapServers(), "--set", "streams.state.dir=" + dir.resolve("state-streams-" + name),
        "--set", "streams.application.id=faults-streams", "--set", "topic.partitions=" + PARTITIONS,
        "--set", "http.port=" + port, "--set", "streams.metrics.port=0",
        "--set", "streams.config.num.standby.replicas=1", "--set", "streams.config.session.timeout.ms=6000")
        .redirectErrorStream(true)
        .redirectOutput(Path.of("target", "cluster-faults-streams-" + name + ".log").toFile())
        .start();
  }

  private static void awaitAnswer(final HttpClient http, final int port) throws Exception {
    await("the streams-app on " + port + " to answer", Duration.ofSeconds(90), () -> http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/api/instances")).GET().build(), HttpResponse.BodyHandlers.discarding())
        .statusCode() == 200 ? true : null);
  }

  /** Which of the two apps owns the host's partition: the one that answers the timeline itself. */
  private static int ownerOf(final HttpClient http, final int[] ports, final String host, final String instance)
      throws Exception {
    final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[0]
        + "/api/instances/" + instance + "/timeline?host=" + host)).GET().build(), HttpResponse.BodyHandlers.ofString());
    final String servedBy = r.headers().firstValue("X-Oomwatch-Served-By").orElse("");
    return servedBy.endsWith(":" + ports[1]) ? 1 : 0;
  }

  private static int partitionOf(final String host) {
    return Utils.toPositive(Utils.murmur2(host.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
  }

  private static List<Alert> alertValues(final String host) {
    return alerts.all().stream().map(TopicLog.Arrived::value).filter(a -> host.equals(a.getHost())).toList();
  }

  private static long arrivalOf(final Alert alert) {
    return alerts.all().stream().filter(a -> a.value().equals(alert)).mapToLong(TopicLog.Arrived::arrivedAtMs)
        .findFirst().orElse(-1);
  }

  private static String summarize(final List<String> answers) {
    final List<String> runs = new ArrayList<>();
    String last = null;
    int n = 0;
    for (final String a : answers) {
      if (a.equals(last)) {
        n++;
      } else {
        if (last != null) {
          runs.add(n + "x" + last);
        }
        last = a;
        n = 1;
      }
    }
    if (last != null) {
      runs.add(n + "x" + last);
    }
    return String.join(", ", runs);
  }

  private interface Probe<T> {
    T get() throws Exception;
  }

  private static <T> T await(final String what, final Duration timeout, final Probe<T> probe) throws Exception {
    final long deadline = System.currentTimeMillis() + timeout.toMillis();
    while (System.currentTimeMillis() < deadline) {
      T value = null;
      try {
        value = probe.get();
      } catch (java.io.IOException | RuntimeException e) {
        // not yet (not listening yet, or not there yet)
      }
      if (value != null) {
        return value;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no " + what + " within " + timeout.toSeconds() + " s");
  }
}
