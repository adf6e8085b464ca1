package dev.oomwatch.alertmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import dev.oomwatch.testkit.AlertmanagerServer;
import dev.oomwatch.testkit.KafkaBackend;
import dev.oomwatch.testkit.MetricsScrape;
import dev.oomwatch.testkit.TestBackends;
import dev.oomwatch.testkit.TopicRecords;
import dev.oomwatch.wire.Serdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge against a real Alertmanager that serves TLS and asks for basic auth (its own web
 * config): the alerts arrive with the right password and the CA given; with a wrong password none
 * is lost, they wait (offsets not committed) and arrive once a bridge has the right one.
 */
class SecuredAlertmanagerIT {
  private static final String USER = "oomwatch";
  private static final String PASSWORD = "am-test-secret";
  /** bcrypt of PASSWORD (cost 10), as Alertmanager's web config wants it; made with Python's crypt. */
  private static final String BCRYPT = "$2b$10$9iyNLxKLD/LYFZieBtry/.xqKwFSTDfOgZY23Bdm6QwlaaywG2KPO";

  @TempDir Path dir;

  @Test
  void alertsReachAnAlertmanagerBehindTlsAndBasicAuthAndAWrongPasswordLosesNone() throws Exception {
    assumeTrue(AlertmanagerServer.available(), "skipped: no alertmanager binary (apt-get install prometheus-alertmanager)");
    assumeTrue(AlertmanagerServer.opensslAvailable(), "skipped: no openssl to make the test certificate");
    try (KafkaBackend kafka = TestBackends.kafka(dir.resolve("kafka"));
        AlertmanagerServer am = AlertmanagerServer.startSecured(dir.resolve("am"), USER, PASSWORD, BCRYPT);
        KafkaProducer<String, Alert> producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()), new StringSerializer(),
            Serdes.alert().serializer())) {
      final Map<String, String> base = new HashMap<>();
      base.put("kafka.bootstrap.servers", kafka.bootstrapServers());
      base.put("topic.partitions", "1");
      base.put("alertmanager.metrics.port", "0");
      base.put("alertmanager.resend", "2s");
      base.put("alertmanager.retry.max", "1s");
      base.put(AlertmanagerConfig.URLS, am.url());
      base.put("alertmanager.username", USER);
      base.put("alertmanager.tls.ca.file", am.certificate().toString());
      final Settings settings = Settings.of(base);
      TopicRecords.provision(kafka.bootstrapServers(), settings);
      final String topic = "oomwatch.alert-state";

      producer.send(new ProducerRecord<>(topic, "node-1|cache|KERNEL_OOM_KILL", alert(AlertType.KERNEL_OOM_KILL))).get();
      try (AlertmanagerBridge bridge = AlertmanagerBridge.start(AlertmanagerConfig.from(
          settings.with(Map.of("alertmanager.password", PASSWORD))))) {
        assertThat(await(am, "KERNEL_OOM_KILL")).isNotNull();
      }

      producer.send(new ProducerRecord<>(topic, "node-1|cache|RSS_NEAR_LIMIT", alert(AlertType.RSS_NEAR_LIMIT))).get();
      try (AlertmanagerBridge wrong = AlertmanagerBridge.start(AlertmanagerConfig.from(
          settings.with(Map.of("alertmanager.password", "not-" + PASSWORD))))) {
        // two posts refused, by the bridge's own count: it read the alert and tried, twice
        MetricsScrape.await(wrong.metricsUrl().orElseThrow(), "oomwatch_alertmanager_post_failures_total",
            n -> n >= 2, Duration.ofSeconds(60));
        assertThat(find(am, "RSS_NEAR_LIMIT")).as("refused: a wrong password").isNull();
      }
      try (AlertmanagerBridge right = AlertmanagerBridge.start(AlertmanagerConfig.from(
          settings.with(Map.of("alertmanager.password", PASSWORD))))) {
        final JsonNode arrived = await(am, "RSS_NEAR_LIMIT");
        assertThat(arrived.path("labels").path("instance").asText()).isEqualTo("cache");
        assertThat(arrived.path("annotations").path("summary").asText()).isEqualTo("summary of RSS_NEAR_LIMIT");
      }
    }
  }

  private static Alert alert(final AlertType type) {
    final long now = System.currentTimeMillis();
    return Alert.newBuilder().setAlertId("node-1/cache/" + type + "/" + now).setType(type)
        .setSeverity(Severity.CRITICAL).setStatus(AlertStatus.FIRING).setHost("node-1").setInstance("cache")
        .setFiredAtMs(now).setEventTimeMs(now).setSummary("summary of " + type).setEvidence(Map.of("k", "v"))
        .setFirstCheck("check").setFix("fix").build();
  }

  private static JsonNode await(final AlertmanagerServer am, final String alertname) throws InterruptedException {
    final long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      final JsonNode found = find(am, alertname);
      if (found != null) {
        return found;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(alertname + " did not reach Alertmanager within 30 s: " + am.alerts());
  }

  private static JsonNode find(final AlertmanagerServer am, final String alertname) {
    for (final JsonNode a : am.alerts()) {
      if (alertname.equals(a.path("labels").path("alertname").asText())) {
        return a;
      }
    }
    return null;
  }
}
