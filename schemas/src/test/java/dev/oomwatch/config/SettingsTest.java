package dev.oomwatch.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

  @Test
  void environmentOverridesTheFileAndFlagsOverrideTheEnvironment(@TempDir final Path dir) throws Exception {
    final Path file = dir.resolve("oomwatch.properties");
    Files.writeString(file, "sample.interval=1s\nkafka.bootstrap.servers=file:9092\ntopic.prefix=prod.\n");
    final Settings settings = Settings.load(
        file,
        Map.of("OOMWATCH_KAFKA_BOOTSTRAP_SERVERS", "env:9092", "PATH", "/bin", "OOMWATCH_SAMPLE_INTERVAL", "2s"),
        Map.of("sample.interval", "500ms"));
    assertThat(settings.get("kafka.bootstrap.servers")).contains("env:9092");
    assertThat(settings.getDuration("sample.interval", Duration.ZERO)).isEqualTo(Duration.ofMillis(500));
    assertThat(settings.get("topic.prefix")).contains("prod.");
    assertThat(settings.asMap()).doesNotContainKey("path");
  }

  @Test
  void kafkaSettingsPassThroughWithThePrefixRemoved() {
    final Settings settings = Settings.of(Map.of(
        "kafka.security.protocol", "SASL_SSL",
        "kafka.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"s3cret\";",
        "redis.uris", "redis://localhost"));
    assertThat(settings.kafkaClientProperties())
        .containsEntry("security.protocol", "SASL_SSL")
        .containsKey("sasl.jaas.config")
        .doesNotContainKey("redis.uris");
  }

  @Test
  void secretsAreRedactedForLogs() {
    final Settings settings = Settings.of(Map.of(
        "kafka.sasl.jaas.config", "password=\"s3cret\"",
        "kafka.ssl.key.password", "s3cret",
        "redis.password", "s3cret",
        "kafka.bootstrap.servers", "b:9092"));
    assertThat(settings.redacted().toString()).doesNotContain("s3cret").contains("b:9092");
  }

  @Test
  void aBadValueNamesTheSetting() {
    final Settings settings = Settings.of(Map.of("sample.interval", "soon"));
    assertThatThrownBy(() -> settings.getDuration("sample.interval", Duration.ZERO))
        .hasMessageContaining("sample.interval=soon");
  }

  @Test
  void durationsReadAsPeopleWriteThem() {
    assertThat(Durations.parse("200ms")).isEqualTo(Duration.ofMillis(200));
    assertThat(Durations.parse("5s")).isEqualTo(Duration.ofSeconds(5));
    assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(Durations.parse("1500")).isEqualTo(Duration.ofMillis(1500));
  }

  @Test
  void aPemPrivateKeyGivenInlineIsASecret() {
    assertThat(Settings.isSecret("kafka.ssl.keystore.key")).isTrue();
    assertThat(Settings.isSecret("kafka.ssl.keystore.certificate.chain")).isFalse();
  }
}
