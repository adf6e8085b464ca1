package dev.oomwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.LocalRedis;
import dev.oomwatch.testkit.RedisBackend;
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.testkit.LogCapture;
import dev.oomwatch.testkit.TopicRecords;
import dev.oomwatch.wire.Serdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import dev.oomwatch.testkit.RedisBinaries;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/** The Redis side of the collector against a real broker and a real redis-server. */
class CollectorIT {
  private static final String TOPIC = "oomwatch.redis-samples";

  @TempDir Path dir;

  private Settings settings(final KafkaBackend kafka, final RedisBackend redis) {
    return Settings.of(Map.of(
        "kafka.bootstrap.servers", kafka.bootstrapServers(),
        "host.id", "it-host",
        "redis.uris", redis.uri() + "#cache-a",
        "sample.interval", "250ms",
        "topic.partitions", "1"));
  }

  /** Every real Redis build at hand: the system's (Debian's 7.0 in CI) and the testkit's 6.2. */
  static List<RedisBinaries.Binary> redisBuilds() {
    return RedisBinaries.all();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("redisBuilds")
  void samplesArriveWithRealValuesAndAStoppedRedisIsReportedThenRecovers(final RedisBinaries.Binary build) {
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        RedisBackend redis = TestBackends.redis(dir.resolve("redis"), build, "--save", "", "--appendonly", "no")) {
      final Settings settings = settings(kafka, redis);
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      try (Collector collector = Collector.start(CollectorConfig.from(settings))) {
        // a connection's first sample reads INFO and CONFIG; CLIENT LIST comes from the next one on
        final List<RedisSample> first = read(kafka, list -> list.stream().anyMatch(s -> s.getConfig() != null
            && s.getClientListReadAtMs() != null));
        final RedisSample sample = first.stream().filter(s -> s.getConfig() != null && s.getClientListReadAtMs() != null)
            .findFirst().orElseThrow();
        assertThat(first.stream().filter(RedisSample::getReachable).findFirst().orElseThrow().getClientListReadAtMs())
            .as("no CLIENT LIST on a connection's first sample").isNull();
        assertThat(sample.getHost()).isEqualTo("it-host");
        assertThat(sample.getInstance()).isEqualTo("cache-a");
        assertThat(sample.getReachable()).isTrue();
        assertThat(sample.getUsedMemory()).isPositive();
        assertThat(sample.getUsedMemoryRss()).isPositive();
        assertThat(sample.getRedisVersion()).isNotBlank();
        assertThat(sample.getConfig().getSave()).isEmpty();
        assertThat(sample.getConfig().getAppendonly()).isFalse();
        assertThat(sample.getTopClients()).isNotEmpty();
        assertThat(sample.getUnavailable()).isEmpty();
        assertThat(sample.getRedisVersion()).isEqualTo(build.version());
        // what this server does not report is null, never 0: INFO fields Redis 7.0 added
        if (build.major() < 7) {
          assertThat(sample.getMemTotalReplicationBuffers()).isNull();
          assertThat(sample.getCurrentCowPeak()).isNull();
        } else {
          assertThat(sample.getMemTotalReplicationBuffers()).isNotNull();
          assertThat(sample.getCurrentCowPeak()).isNotNull();
        }
        assertThat(sample.getCurrentForkPerc()).as("since 6.2").isNotNull();

        // its schemas, for a streams-app older than it to read its records
        final List<String> schemas = TopicRecords.read(kafka.bootstrapServers(), "oomwatch.schemas",
            new org.apache.kafka.common.serialization.StringDeserializer(), list -> list.size() >= 3, Duration.ofSeconds(30));
        assertThat(schemas).anyMatch(v -> v.contains("\"name\":\"RedisSample\""))
            .anyMatch(v -> v.contains("\"name\":\"HostSample\"")).anyMatch(v -> v.contains("\"name\":\"KernelEvent\""));
        redis.stop();
        final List<RedisSample> down = read(kafka, list -> list.stream().anyMatch(s -> !s.getReachable()));
        final RedisSample unreachable = down.stream().filter(s -> !s.getReachable()).findFirst().orElseThrow();
        assertThat(unreachable.getUnreachableReason()).matches("(REFUSED|TIMEOUT|DISCONNECTED).*");
        assertThat(unreachable.getUsedMemory()).isNull();

        redis.start();
        final int before = down.size();
        final List<RedisSample> back = read(kafka,
            list -> list.size() > before && list.subList(before, list.size()).stream().anyMatch(RedisSample::getReachable));
        assertThat(back.subList(before, back.size())).anyMatch(RedisSample::getReachable);
      }
    }
  }

  @Test
  void aRedisBackAfterALongAbsenceIsSampledWithinSeconds() throws Exception {
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        RedisBackend redis = TestBackends.redis(dir.resolve("redis"), "--save", "", "--appendonly", "no")) {
      final Settings settings = settings(kafka, redis);
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      try (Collector collector = Collector.start(CollectorConfig.from(settings))) {
        read(kafka, list -> list.stream().anyMatch(RedisSample::getReachable));
        redis.stop();
        // away long enough for a doubling backoff to have grown well past the sampling interval
        Thread.sleep(20_000);
        redis.start();
        final long listening = System.currentTimeMillis();
        // Every attempt begun once the server listens connects; a sampler still backing off instead
        // says "unreachable" without trying. So the first sample taken after this moment, whenever
        // the machine gets to take it, is reachable: a backoff of any length would make it not.
        final java.util.function.Predicate<RedisSample> afterListening = s -> s.getTimestampMs() >= listening;
        final RedisSample first = read(kafka, list -> list.stream().anyMatch(afterListening)).stream()
            .filter(afterListening).findFirst().orElseThrow(() -> new AssertionError("no sample after the server listened"));
        assertThat(first.getReachable()).as("the first sample after the server listened: %s", first.getUnreachableReason())
            .isTrue();
        System.out.printf("[reconnect] sampled again %d ms after it listened, 20 s after it went away%n",
            first.getTimestampMs() - listening);
      }
    }
  }

  @Test
  void aBrokerAwayForSecondsLosesNoSample() {
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        RedisBackend redis = TestBackends.redis(dir.resolve("redis"), "--save", "")) {
      final Settings settings = settings(kafka, redis);
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      final Collector collector = Collector.start(CollectorConfig.from(settings));
      final long[] away = new long[2];
      try {
        read(kafka, list -> !list.isEmpty());
        // the producer never gives up on a record (delivery timeout unbounded): a dozen seconds away are
        // dozens of samples held and sent in order; the ten-minute outage is scripts/collector-outage.sh's
        away[0] = System.currentTimeMillis();
        kafka.outage(Duration.ofSeconds(12));
        away[1] = System.currentTimeMillis();
        final long deadline = System.currentTimeMillis() + 60_000;
        while (collector.publisher().pending() > 0 && System.currentTimeMillis() < deadline) {
          sleep(200);
        }
        assertThat(collector.publisher().pending()).as("records still waiting after the broker came back").isZero();
        assertThat(collector.metrics().dropped.get()).isZero();
      } finally {
        collector.close();
      }
      // counted once the collector has stopped: a sample taken while it closes is sent, and counted, too
      final long taken = collector.metrics().redisSamples.get() + collector.metrics().redisUnreachable.get();
      final List<RedisSample> all = TopicRecords.readAll(kafka.bootstrapServers(), TOPIC, Serdes.redisSample().deserializer(),
          Duration.ofSeconds(60)); // the collector closed and flushed: the topic's end is all it sent
      assertThat(all).hasSize((int) taken);
      // In the order taken: the publisher held them through the outage and sent them as they were.
      for (int i = 1; i < all.size(); i++) {
        assertThat(all.get(i).getTimestampMs()).as("sample %d after sample %d", i, i - 1)
            .isGreaterThanOrEqualTo(all.get(i - 1).getTimestampMs());
      }
      // Sampling went on while the broker was away (the outage's own clock brackets it).
      assertThat(all).as("samples taken while the broker was away")
          .anyMatch(s -> s.getTimestampMs() > away[0] && s.getTimestampMs() < away[1]);
    }
  }

  @Test
  void aWrongPasswordIsAnAuthFailureThatNeverShowsThePasswordAndAForbiddenConfigStillSamples() throws Exception {
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        RedisBackend locked = TestBackends.redis(dir.resolve("locked"), "--requirepass", "right-horse-battery");
        RedisBackend renamed = TestBackends.redis(dir.resolve("renamed"), "--rename-command", "CONFIG", "")) {
      final String wrong = locked.uri().replace("redis://", "redis://:wrong-staple-secret@") + "#locked";
      final Settings settings = Settings.of(Map.of(
          "kafka.bootstrap.servers", kafka.bootstrapServers(),
          "host.id", "it-host",
          "redis.uris", wrong + "," + renamed.uri() + "#renamed",
          "sample.interval", "250ms",
          "kernel.enabled", "false",
          "topic.partitions", "1"));
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      final List<RedisSample> samples;
      final String log;
      try (LogCapture logs = LogCapture.start(); Collector collector = Collector.start(CollectorConfig.from(settings))) {
        // the first attempt may also time out on a loaded machine (a DISCONNECTED sample): wait for the verdict
        samples = read(kafka, list -> list.stream().anyMatch(s -> s.getInstance().equals("locked") && !s.getReachable()
                && s.getUnreachableReason().startsWith("AUTH_FAILED"))
            && list.stream().anyMatch(s -> s.getInstance().equals("renamed") && s.getReachable()));
        log = logs.text();
      }
      assertThat(samples.stream().filter(s -> s.getInstance().equals("locked"))).allMatch(s -> !s.getReachable());
      final RedisSample auth = samples.stream().filter(s -> s.getInstance().equals("locked")
          && s.getUnreachableReason().startsWith("AUTH_FAILED")).findFirst().orElseThrow();
      assertThat(auth.getUnreachableReason()).doesNotContain("wrong-staple-secret");
      assertThat(samples.toString()).doesNotContain("wrong-staple-secret");
      assertThat(log).contains("authentication failed").doesNotContain("wrong-staple-secret");
      final RedisSample noConfig = samples.stream().filter(s -> s.getInstance().equals("renamed")).findFirst().orElseThrow();
      assertThat(noConfig.getUsedMemory()).isPositive();
      assertThat(noConfig.getConfig()).isNull();
      assertThat(noConfig.getUnavailable()).singleElement().asString().startsWith("CONFIG:");
    }
  }

  @Test
  void anInstanceWithManyClientsHasItsClientListReadOnlyEverySlowInterval() throws Exception {
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        RedisBackend busy = TestBackends.redis(dir.resolve("busy"), "--save", "");
        RedisBackend quiet = TestBackends.redis(dir.resolve("quiet"), "--save", "")) {
      final io.lettuce.core.RedisClient lettuce = io.lettuce.core.RedisClient.create();
      final List<io.lettuce.core.api.StatefulRedisConnection<String, String>> extra = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 6; i++) {
          extra.add(lettuce.connect(io.lettuce.core.RedisURI.create(busy.uri())));
        }
        final Settings settings = Settings.of(Map.of(
            "kafka.bootstrap.servers", kafka.bootstrapServers(),
            "host.id", "it-host",
            "redis.uris", busy.uri() + "#busy," + quiet.uri() + "#quiet",
            "sample.interval", "250ms",
            "kernel.enabled", "false",
            "redis.client.list.max.clients", "4",
            "redis.client.list.slow.interval", "2s",
            "topic.partitions", "1"));
        TopicRecords.provision(kafka.bootstrapServers(), settings);
        extra.get(0).sync().configResetstat();
        final List<RedisSample> samples;
        try (Collector collector = Collector.start(CollectorConfig.from(settings))) {
          samples = read(kafka, list -> list.stream().filter(s -> s.getInstance().equals("busy")).count() >= 24);
        }
        final List<RedisSample> busySamples = samples.stream().filter(s -> s.getInstance().equals("busy")).toList();
        final long readings = busySamples.stream().map(RedisSample::getClientListReadAtMs).filter(java.util.Objects::nonNull)
            .distinct().count();
        final String stats = extra.get(0).sync().info("commandstats");
        final long clientListCalls = LocalRedis.calls(stats, "client|list");
        final long infoCalls = LocalRedis.calls(stats, "info");
        // no CLIENT LIST on the connection's first sample (INFO says first how many clients it would
        // list); read on the second, then never again sooner than the slow interval: the readings' own
        // stamps say so, however long the machine took to take the samples
        assertThat(busySamples.get(0).getClientListReadAtMs()).isNull();
        assertThat(busySamples.subList(1, busySamples.size())).allSatisfy(s -> {
          assertThat(s.getClientListReadAtMs()).isNotNull().isLessThanOrEqualTo(s.getTimestampMs());
          assertThat(s.getTopClients()).isNotEmpty();
        });
        final List<Long> readAt = busySamples.stream().map(RedisSample::getClientListReadAtMs)
            .filter(java.util.Objects::nonNull).distinct().sorted().toList();
        assertThat(readings).as("24 samples at 250 ms span more than one slow interval").isGreaterThanOrEqualTo(2);
        for (int i = 1; i < readAt.size(); i++) {
          assertThat(readAt.get(i) - readAt.get(i - 1)).as("between CLIENT LIST readings %d and %d", i - 1, i)
              .isGreaterThanOrEqualTo(2_000L);
        }
        assertThat(busySamples.stream().filter(s -> s.getClientListReadAtMs() != null
                && s.getClientListReadAtMs() < s.getTimestampMs()))
            .as("samples that reused an earlier reading").hasSize(busySamples.size() - 1 - (int) readings);
        assertThat(infoCalls).isGreaterThanOrEqualTo(busySamples.size());
        assertThat(clientListCalls).as(stats).isLessThanOrEqualTo(readings + 1);
        // a quiet instance has its clients read with every sample but its connection's first
        assertThat(samples.stream().filter(s -> s.getInstance().equals("quiet")).skip(1))
            .isNotEmpty()
            .allSatisfy(s -> assertThat(s.getClientListReadAtMs()).isEqualTo(s.getTimestampMs()));
      } finally {
        extra.forEach(io.lettuce.core.api.StatefulRedisConnection::close);
        lettuce.shutdown();
      }
    }
  }

  /** A command's call count from INFO commandstats ({@code cmdstat_<name>:calls=N,...}). */
  private static List<RedisSample> read(final KafkaBackend kafka, final java.util.function.Predicate<List<RedisSample>> until) {
    return TopicRecords.read(kafka.bootstrapServers(), TOPIC, Serdes.redisSample().deserializer(), until, Duration.ofSeconds(60));
  }

  private static void sleep(final long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
