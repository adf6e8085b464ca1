package dev.oomwatch.streams;

import static dev.oomwatch.streams.Series.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.testkit.TopicRecords;
import dev.oomwatch.wire.Serdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streams-app as a real process against a real broker: samples in, alerts out; then the
 * process is killed (SIGKILL) mid-stream and started again on the same state folder. Exactly once:
 * every alert arrives, none twice.
 */
class StreamsAppIT {
  private static final List<String> BEFORE_KILL = List.of("COW_HEADROOM_LOW/WARNING",
      "FORK_OOM_IMMINENT/CRITICAL", "RSS_NEAR_LIMIT/WARNING", "FORK_COW_SPIKE/CRITICAL", "RSS_NEAR_LIMIT/CRITICAL");

  @TempDir Path dir;

  @Test
  void aStreamsAppKilledAndRestartedMidStreamEmitsNoDuplicateAndLosesNoAlert() throws Exception {
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"))) {
      TopicRecords.provision(kafka.bootstrapServers(), Settings.of(Map.of("topic.partitions", "2")));
      // The OOM scenario's records, moved to the present so no alert is resolved as stale.
      final long shift = System.currentTimeMillis() - T0 - 90_000;
      final Series s = new Series("cache-01", 6379, "/redis", 600);
      final List<SpecificRecord> first = new ArrayList<>();
      OomScenarioTest.runUpToTheKill(r -> first.add(shifted(r, shift)), s);
      final List<SpecificRecord> second = new ArrayList<>();
      second.add(shifted(s.kill(T0 + 61_500, 4242, 560), shift));
      s.restart(T0 + 66_000, 4300);
      second.add(shifted(s.redis(T0 + 66_000, 5, 12, false, null), shift));

      Process app = startApp(kafka);
      try {
        produce(kafka, first);
        assertThat(TopologyHarness.firing(read(kafka, list -> list.size() >= BEFORE_KILL.size())))
            .containsExactlyElementsOf(BEFORE_KILL);
      } finally {
        app.destroyForcibly().waitFor();
      }
      produce(kafka, second);
      final long restartedAt = System.currentTimeMillis();
      app = startApp(kafka);
      try {
        read(kafka, list -> list.size() >= BEFORE_KILL.size() + 2);
        System.out.printf("all alerts read %d ms after the restart%n", System.currentTimeMillis() - restartedAt);
        // every input record processed and committed: a duplicate, if any, is on the topic now
        TopicRecords.awaitConsumed(kafka.bootstrapServers(), "oomwatch-streams",
            dev.oomwatch.topics.Topic.inputNames(dev.oomwatch.topics.Topic.DEFAULT_PREFIX), Duration.ofSeconds(120));
        final List<String> expected = new ArrayList<>(BEFORE_KILL);
        expected.add("KERNEL_OOM_KILL/CRITICAL");
        expected.add("REDIS_RESTART/CRITICAL");
        // the killed fork in its own sizing: its maxmemory does not survive that fork
        expected.add("MAXMEMORY_MISSIZED/WARNING");
        final List<Alert> settled = TopicRecords.readAll(kafka.bootstrapServers(), "oomwatch.alerts",
            Serdes.alert().deserializer(), Duration.ofSeconds(60));
        assertThat(TopologyHarness.firing(settled)).containsExactlyElementsOf(expected);
      } finally {
        app.destroy();
        app.waitFor();
      }
    }
  }

  private Process startApp(final KafkaBackend kafka) throws Exception {
    final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), StreamsCommand.class.getName(),
        "--bootstrap", kafka.bootstrapServers(), "--set", "streams.state.dir=" + dir.resolve("state"),
        "--set", "topic.partitions=2", "--set", "http.port=0", "--set", "streams.application.id=oomwatch-streams",
        // a killed member is noticed in 6 s, not the default 45 s
        "--set", "streams.config.session.timeout.ms=6000")
        .redirectErrorStream(true)
        .redirectOutput(Path.of("target", "streams-app-it-" + System.nanoTime() + ".log").toFile())
        .start();
  }

  private static SpecificRecord shifted(final SpecificRecord record, final long shift) {
    return ScenarioRecords.shifted(record, shift);
  }

  private static void produce(final KafkaBackend kafka, final List<SpecificRecord> records) {
    ScenarioRecords.produce(kafka.bootstrapServers(), records);
  }

  private static List<Alert> read(final KafkaBackend kafka, final Predicate<List<Alert>> until) {
    return TopicRecords.read(kafka.bootstrapServers(), "oomwatch.alerts", Serdes.alert().deserializer(), until,
        Duration.ofSeconds(90));
  }
}
