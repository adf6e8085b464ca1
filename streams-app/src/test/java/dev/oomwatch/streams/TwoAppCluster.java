package dev.oomwatch.streams;

import static dev.oomwatch.streams.Series.T0;

import dev.oomwatch.config.Settings;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.testkit.TopicRecords;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.utils.Utils;

/**
 * Two streams-app instances sharing four partitions on a real broker, fed one host whose Redis is
 * OOM-killed during a BGSAVE (the OOM scenario, moved to the present) and quiet hosts chosen so
 * that every partition holds at least one host. Used by the API and page tests.
 */
public final class TwoAppCluster implements AutoCloseable {
  public static final int PARTITIONS = 4;
  public static final String TOKEN = "it-token-7f3a";

  public final KafkaBackend kafka;
  public final StreamsApp a;
  public final StreamsApp b;
  public final String killedHost;
  /** The host of a Redis started by hand, outside any cgroup of its own. */
  public static final String BY_HAND = "laptop-01";
  public final String killedInstance;
  public final List<String> hosts = new ArrayList<>();
  public final long killAtMs;
  /** How long before the scenario the killed host's ten quiet minutes began. */
  public static final long HISTORY_AGO_MS = 40 * 60_000L;

  public TwoAppCluster(final Path dir) throws InterruptedException {
    kafka = TestBackends.kafka(dir.resolve("kafka"));
    TopicRecords.provision(kafka.bootstrapServers(), Settings.of(Map.of("topic.partitions", String.valueOf(PARTITIONS))));
    final long shift = System.currentTimeMillis() - T0 - 90_000;
    final Series killed = new Series("cache-01", 6379, "/redis", 600);
    killedHost = killed.host;
    killedInstance = killed.instance;
    hosts.add(killed.host);
    final List<SpecificRecord> records = new ArrayList<>();
    // ten quiet minutes half an hour before: older than the full-resolution past, so served rolled up
    for (int i = 0; i < 600; i++) {
      final long at = T0 - HISTORY_AGO_MS + i * 1000L;
      records.add(ScenarioRecords.shifted(killed.redis(at, 100 + i % 7, 110, false, null), shift));
      records.add(ScenarioRecords.shifted(killed.kernel(at + 500, 110, null, 0, 120), shift));
    }
    OomScenarioTest.runUpToTheKill(r -> records.add(ScenarioRecords.shifted(r, shift)), killed);
    records.add(ScenarioRecords.shifted(killed.kill(T0 + 61_500, 4242, 560), shift));
    killAtMs = T0 + 61_500 + shift;
    killed.restart(T0 + 66_000, 4300);
    records.add(ScenarioRecords.shifted(killed.redis(T0 + 66_000, 5, 12, false, null), shift));
    for (final String host : quietHostsCoveringEveryPartition(killed.host)) {
      hosts.add(host);
      final Series quiet = new Series(host, 6379, "/redis", 2048);
      for (int i = 0; i < 30; i++) {
        records.add(ScenarioRecords.shifted(quiet.redis(T0 + 40_000 + i * 1000L, 100, 110, false, null), shift));
        records.add(ScenarioRecords.shifted(quiet.kernel(T0 + 40_000 + i * 1000L + 500, 110, null, 0, 120), shift));
      }
    }
    // a Redis started by hand: no cgroup of its own, in a session's shared cgroup that holds 4.7 GB
    // of other processes, judged against the host's 16 GB; its 7 MB of data must still be readable
    final Series byHand = new Series(BY_HAND, 6379, "/user.slice/user-0.slice/session-3.scope", 0);
    hosts.add(byHand.host);
    for (int i = 0; i < 30; i++) {
      records.add(ScenarioRecords.shifted(byHand.redis(T0 + 40_000 + i * 1000L, 7, 9, false, null), shift));
      records.add(ScenarioRecords.shifted(byHand.kernel(T0 + 40_000 + i * 1000L + 500, 9, null, 0, 4_800), shift));
    }
    a = start(dir.resolve("a"));
    b = start(dir.resolve("b"));
    awaitRunning(a);
    awaitRunning(b);
    ScenarioRecords.produce(kafka.bootstrapServers(), records);
  }

  /** Hosts named so that, with the killed one, the default partitioner puts one on every partition. */
  private static List<String> quietHostsCoveringEveryPartition(final String first) {
    final Set<Integer> covered = new TreeSet<>();
    covered.add(partition(first));
    final List<String> hosts = new ArrayList<>();
    for (int i = 2; covered.size() < PARTITIONS || hosts.size() < 3; i++) {
      final String host = String.format("cache-%02d", i);
      if (covered.add(partition(host)) || hosts.size() < 3) {
        hosts.add(host);
      }
    }
    return hosts;
  }

  public static int partition(final String key) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % PARTITIONS;
  }

  private StreamsApp start(final Path state) {
    final Map<String, String> values = new HashMap<>();
    values.put("kafka.bootstrap.servers", kafka.bootstrapServers());
    values.put("topic.partitions", String.valueOf(PARTITIONS));
    values.put("streams.state.dir", state.toString());
    values.put("streams.application.id", "oomwatch-query-it");
    values.put("http.port", "0");
    values.put("http.token", TOKEN);
    // The scenario ends some 25 s before it is produced, and the apps judge staleness by the wall
    // clock: at the default 2 minutes every live alert would resolve as stale once the tests using
    // the cluster had run for about 95 s, which a slow machine reaches. Nothing here tests staleness.
    values.put("detect.stale.after", "30m");
    return StreamsApp.start(StreamsAppConfig.from(Settings.of(values)));
  }

  private static void awaitRunning(final StreamsApp app) throws InterruptedException {
    app.awaitRunning(java.time.Duration.ofSeconds(90));
  }

  public String url(final StreamsApp app) {
    return app.http().orElseThrow().url();
  }

  @Override
  public void close() throws Exception {
    a.close();
    b.close();
    kafka.close();
  }
}
