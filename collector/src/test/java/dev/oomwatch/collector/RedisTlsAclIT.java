package dev.oomwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.broker.EmbeddedKafka;
import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.LocalRedis;
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.testkit.TopicRecords;
import dev.oomwatch.wire.Serdes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real redis-server that takes clients only over TLS (a certificate of its own, trusted through
 * {@code redis.tls.ca.file}) and only as ACL users: the least-privilege user the README gives the
 * collector is sampled in full; a user denied CONFIG GET and CLIENT LIST is still sampled, the
 * denied parts said in {@code unavailable}; the default user is off.
 */
class RedisTlsAclIT {
  /** The collector's ACL rules, as the README gives them. */
  static final String COLLECTOR_ACL = "-@all +info +ping +hello +client|list +client|setname +config|get";

  @TempDir Path dir;

  @Test
  void aTlsOnlyRedisIsSampledAsALeastPrivilegeUserAndAsOneDeniedCommands() throws Exception {
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    final Path crt = dir.resolve("redis.crt");
    final Path key = dir.resolve("redis.key");
    final Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(),
        "-out", crt.toString()).redirectErrorStream(true).start();
    final String made = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assumeTrue(openssl.waitFor() == 0, () -> "skipped: openssl could not make a certificate: " + made);
    final int tlsPort = EmbeddedKafka.freePort();
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        LocalRedis redis = LocalRedis.start(dir.resolve("redis"),
            "--tls-port", String.valueOf(tlsPort), "--tls-cert-file", crt.toString(), "--tls-key-file", key.toString(),
            "--tls-ca-cert-file", crt.toString(), "--tls-auth-clients", "no",
            "--user", "default", "off",
            "--user", "oomwatch", "on", ">collector-pw", "-@all", "+info", "+ping", "+hello", "+client|list",
            "+client|setname", "+config|get",
            "--user", "limited", "on", ">limited-pw", "-@all", "+info", "+ping", "+hello", "+client|setname")) {
      final Settings settings = Settings.of(Map.of(
          "kafka.bootstrap.servers", kafka.bootstrapServers(),
          "host.id", "tls-host",
          "topic.partitions", "1",
          "kernel.enabled", "false",
          "collector.metrics.port", "0",
          CollectorConfig.REDIS_TLS_CA, crt.toString(),
          CollectorConfig.REDIS_URIS, "rediss://oomwatch:collector-pw@127.0.0.1:" + tlsPort + "#full,"
              + "rediss://limited:limited-pw@127.0.0.1:" + tlsPort + "#limited"));
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      try (Collector collector = Collector.start(CollectorConfig.from(settings))) {
        final List<RedisSample> samples = TopicRecords.read(kafka.bootstrapServers(), "oomwatch.redis-samples",
            Serdes.redisSample().deserializer(), list ->
                list.stream().anyMatch(s -> "full".equals(s.getInstance()) && s.getReachable() && s.getConfig() != null
                    && s.getClientListReadAtMs() != null)
                && list.stream().anyMatch(s -> "limited".equals(s.getInstance()) && s.getReachable()),
            Duration.ofSeconds(60));
        final RedisSample full = samples.stream().filter(s -> "full".equals(s.getInstance()) && s.getReachable()
            && s.getConfig() != null && s.getClientListReadAtMs() != null).findFirst().orElseThrow(() -> new AssertionError("full: " + samples));
        assertThat(full.getUsedMemory()).isPositive();
        assertThat(full.getTopClients()).as("CLIENT LIST read").isNotNull();
        final RedisSample limited = samples.stream().filter(s -> "limited".equals(s.getInstance()) && s.getReachable())
            .findFirst().orElseThrow(() -> new AssertionError("limited: " + samples));
        assertThat(limited.getUsedMemory()).isPositive();
        assertThat(limited.getConfig()).isNull();
        assertThat(String.join(" ", limited.getUnavailable())).contains("CONFIG");
        assertThat(samples).noneMatch(s -> String.valueOf(s).contains("collector-pw") || String.valueOf(s).contains("limited-pw"));
      }
    }
    assertThat(Files.exists(crt)).isTrue();
  }
}
