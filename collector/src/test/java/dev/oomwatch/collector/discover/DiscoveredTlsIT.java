package dev.oomwatch.collector.discover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.collector.Collector;
import dev.oomwatch.collector.CollectorConfig;
import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.KubePods;
import dev.oomwatch.testkit.LocalRedis;
import dev.oomwatch.testkit.LogCapture;
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.testkit.TopicRecords;
import dev.oomwatch.wire.Serdes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rule with {@code .tls=true} reaches a discovered pod's TLS-only redis-server over TLS, its
 * certificate checked against {@code redis.tls.ca.file} (its name is the pod's, not the address the
 * collector reaches it at): the password crosses the pod network encrypted, and a TLS-only server
 * would refuse it in the clear.
 */
class DiscoveredTlsIT {
  private static final long MB = 1024L * 1024;

  @TempDir Path dir;

  @Test
  void aRuleWithTlsSendsItsPasswordToTheDiscoveredPodOverTls() throws Exception {
    final var noPods = KubePods.unavailableReason();
    assumeTrue(noPods.isEmpty(), () -> "skipped: " + noPods.orElse(""));
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    final Path crt = dir.resolve("pod.crt");
    final Path key = dir.resolve("pod.key");
    // a certificate for the pod's DNS name, as a cert-manager issuer gives one, not for its address
    final Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=cache-0.shop.svc", "-addext", "subjectAltName=DNS:cache-0.shop.svc", "-keyout", key.toString(),
        "-out", crt.toString()).redirectErrorStream(true).start();
    final String made = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assumeTrue(openssl.waitFor() == 0, () -> "skipped: openssl could not make a certificate: " + made);
    final String password = "tls-" + UUID.randomUUID();
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        KubePods node = KubePods.create(dir.resolve("node"))) {
      final KubePods.Pod pod = node.start("cache-0", "shop", 128 * MB, true, "--save", "", "--port", "0",
          "--tls-port", "6379", "--tls-cert-file", crt.toString(), "--tls-key-file", key.toString(),
          "--tls-ca-cert-file", crt.toString(), "--tls-auth-clients", "no", "--requirepass", password);
      final Settings settings = Settings.of(Map.of(
          "kafka.bootstrap.servers", kafka.bootstrapServers(),
          "host.id", "node-1",
          "sample.interval", "500ms",
          "topic.partitions", "1",
          "kernel.runtime.bundles", node.bundlePattern(),
          CollectorConfig.REDIS_TLS_CA, crt.toString(),
          "redis.discover.auth.shop.match", "shop/*",
          "redis.discover.auth.shop.password", password,
          "redis.discover.auth.shop.tls", "true"));
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      final List<RedisSample> samples;
      final String log;
      try (LogCapture logs = LogCapture.start(); Collector collector = Collector.start(CollectorConfig.from(settings))) {
        samples = TopicRecords.read(kafka.bootstrapServers(), "oomwatch.redis-samples", Serdes.redisSample().deserializer(),
            list -> list.stream().anyMatch(s -> s.getInstance().equals("shop/cache-0") && s.getReachable()),
            Duration.ofSeconds(90));
        log = logs.text();
      }
      final RedisSample sample = samples.stream().filter(s -> s.getInstance().equals("shop/cache-0") && s.getReachable())
          .findFirst().orElseThrow(() -> new AssertionError("never reached over TLS: " + samples + "\n" + log));
      assertThat(sample.getServerHostPid()).isEqualTo(pod.hostPid());
      assertThat(sample.getUsedMemory()).isPositive();
      assertThat(log).contains("rediss://").doesNotContain(password);
      assertThat(samples.toString()).doesNotContain(password);
    }
  }
}
