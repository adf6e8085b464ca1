package dev.oomwatch.archive;

import static dev.oomwatch.archive.FixtureRecords.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import dev.oomwatch.sql.ArchiveViews;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.testkit.TopicRecords;
import dev.oomwatch.topics.Topic;
import dev.oomwatch.wire.AvroSerde;
import dev.oomwatch.wire.Serdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archiver as a real process on a real broker, killed with SIGKILL twice while records flow
 * and files roll every few dozen records, then started again: every record of every topic is in
 * the archive exactly once, offsets without a gap or a repeat.
 */
class ArchiverIT {
  private static final int PER_BATCH = 4 * 150;
  @TempDir Path dir;

  @Test
  void killedMidRollAndRestartedItKeepsEveryRecordExactlyOnce() throws Exception {
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"))) {
      TopicRecords.provision(kafka.bootstrapServers(), Settings.of(Map.of("topic.partitions", "2")));
      final Path archive = dir.resolve("archive");
      int produced = 0;
      for (int round = 0; round < 3; round++) {
        final Process archiver = start(kafka, archive, round);
        produced += produceSlowly(kafka, round);
        if (round < 2) {
          awaitFiles(archive, 2 + round * 4);
          archiver.destroyForcibly().waitFor(); // SIGKILL: no flush, no commit, maybe a file half written
          if (round == 0) {
            plantAnUncommittedRoll(archive);
          }
        } else {
          awaitArchived(archive, produced);
          archiver.destroy(); // SIGTERM: the shutdown hook writes and commits what was read
          assertThat(archiver.waitFor()).as("exit on SIGTERM, not a crash").isEqualTo(143);
        }
      }

      assertThat(query(archive, "SELECT count(*) FROM (" + everyRow() + ")")).isEqualTo(produced);
      assertThat(query(archive, "SELECT count(*) FROM (SELECT DISTINCT t, kafka_partition, kafka_offset FROM ("
          + everyRow() + "))")).as("no record twice").isEqualTo(produced);
      // per topic and partition, offsets 0..n-1 with no gap
      assertThat(query(archive, "SELECT count(*) FROM (SELECT t, kafka_partition FROM (" + everyRow()
          + ") GROUP BY ALL HAVING max(kafka_offset) + 1 <> count(*) OR min(kafka_offset) <> 0)")).isZero();
      try (Stream<Path> files = Files.walk(archive)) {
        assertThat(files.filter(f -> f.toString().endsWith(".tmp")).toList()).as("no leftovers").isEmpty();
      }
    }
  }

  /**
   * What a kill between writing a roll's files and committing its offsets leaves: a complete file
   * whose first offset is past the committed one (its rows would be read and written again), and
   * a half-written temporary file.
   */
  private static void plantAnUncommittedRoll(final Path archive) throws Exception {
    final ArchiveLayout.Part written = new ArchiveLayout(archive).parts(ArchiveType.REDIS_SAMPLES).get(0);
    Files.copy(written.file(), written.file().resolveSibling(ArchiveLayout.fileName(written.partition(), 1_000_000, 1_000_039)));
    Files.writeString(written.file().resolveSibling("part-9-1-2.parquet.tmp"), "half a file");
  }

  private static String everyRow() {
    return "SELECT 'r' AS t, kafka_partition, kafka_offset FROM redis_samples UNION ALL "
        + "SELECT 'h', kafka_partition, kafka_offset FROM host_samples UNION ALL "
        + "SELECT 'k', kafka_partition, kafka_offset FROM kernel_events UNION ALL "
        + "SELECT 'a', kafka_partition, kafka_offset FROM alerts";
  }

  /** 150 records of each type, over two hours and eight hosts, at about 600 a second. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int produceSlowly(final KafkaBackend kafka, final int round) throws InterruptedException {
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
        Map.of("bootstrap.servers", kafka.bootstrapServers(), "enable.idempotence", true, "acks", "all", "linger.ms", 5),
        new StringSerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < 150; i++) {
        final String host = "cache-" + (i % 8);
        final long ts = T0 + round * 2_400_000L + i * 20_000L;
        send(producer, Topic.REDIS_SAMPLES, host, FixtureRecords.redis(host, 6379, ts, 100, 120, 40 + i % 8, 10L, false));
        send(producer, Topic.HOST_SAMPLES, host,
            FixtureRecords.host(host, ts, 1, 40 + i % 8, 120, null, 0, "/r", 130, 125, 1024));
        send(producer, Topic.KERNEL_EVENTS, host, FixtureRecords.kill(host, ts, 40 + i % 8, "/r"));
        send(producer, Topic.ALERTS, host, FixtureRecords.alert(host, host + ":6379", AlertType.RSS_NEAR_LIMIT,
            Severity.WARNING, AlertStatus.FIRING, ts));
        if (i % 10 == 0) {
          producer.flush();
          Thread.sleep(60);
        }
      }
      producer.flush();
    }
    return PER_BATCH;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void send(final KafkaProducer<String, byte[]> producer, final Topic topic, final String host,
      final SpecificRecord value) {
    final byte[] bytes = ((AvroSerde) Serdes.forTopic(topic)).encode(value);
    producer.send(new ProducerRecord<>(topic.fullName(Topic.DEFAULT_PREFIX), host, bytes));
  }

  private Process start(final KafkaBackend kafka, final Path archive, final int round) throws Exception {
    final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // the test JVM's temp folder (target/): a SIGKILLed archiver leaves DuckDB's library copy there
    return new ProcessBuilder(java, "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
        "-cp", System.getProperty("java.class.path"), ArchiveCommand.class.getName(),
        "--bootstrap", kafka.bootstrapServers(), "--dir", archive.toString(),
        "--set", "archive.roll.records=40", "--set", "archive.roll.interval=300ms",
        "--set", "kafka.session.timeout.ms=6000")
        .redirectErrorStream(true)
        .redirectOutput(Path.of("target", "archiver-it-" + round + "-" + System.nanoTime() + ".log").toFile())
        .start();
  }

  private static void awaitFiles(final Path archive, final int atLeast) throws Exception {
    final long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      if (Files.isDirectory(archive)) {
        try (Stream<Path> files = Files.walk(archive)) {
          if (files.filter(f -> f.toString().endsWith(".parquet")).count() >= atLeast) {
            return;
          }
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the archiver wrote fewer than " + atLeast + " files in 60 s");
  }

  private static void awaitArchived(final Path archive, final long expected) throws Exception {
    final long deadline = System.currentTimeMillis() + 90_000;
    long seen = -1;
    while (System.currentTimeMillis() < deadline) {
      seen = query(archive, "SELECT count(*) FROM (" + everyRow() + ")");
      if (seen >= expected) {
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("archived " + seen + " of " + expected + " records in 90 s");
  }

  private static long query(final Path archive, final String sql) throws Exception {
    // polled while a restarted archiver removes its uncommitted roll's files: as `oomwatch sql` asks
    return ArchiveViews.query(archive, db -> {
      try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }
}
