package dev.oomwatch.alertmanager;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertmanagerPayloadTest {
  private static final long FIRED = 1_795_000_000_000L;

  static Alert kill(final AlertStatus status) {
    return killBuilder(status).build();
  }

  static Alert.Builder killBuilder(final AlertStatus status) {
    return Alert.newBuilder()
        .setAlertId("a1").setType(AlertType.KERNEL_OOM_KILL).setSeverity(Severity.CRITICAL).setStatus(status)
        .setHost("node-7").setInstance("shop/redis-0").setFiredAtMs(FIRED).setEventTimeMs(FIRED + 60_000)
        .setResolvedAtMs(status == AlertStatus.RESOLVED ? FIRED + 60_000 : null)
        .setSummary("The kernel OOM killer killed redis-server").setEvidence(Map.of("victimPid", "41", "limitHit", "POD"))
        .setFirstCheck("dmesg").setFix("raise the pod's limit")
        .setPodName("redis-0").setPodNamespace("shop").setContainerName("redis");
  }

  @Test
  void aFiringAlertCarriesItsIdentityAsLabelsAndWhatAPersonReadsAsAnnotations() {
    final ObjectNode json = AlertmanagerPayload.toJson(kill(AlertStatus.FIRING), FIRED + 1_000, 240_000,
        "http://oomwatch:7411/");

    assertThat(json.get("labels").properties()).extracting(Map.Entry::getKey)
        .containsExactlyInAnyOrder("alertname", "severity", "host", "instance", "pod", "namespace", "container");
    assertThat(json.at("/labels/alertname").asText()).isEqualTo("KERNEL_OOM_KILL");
    assertThat(json.at("/labels/severity").asText()).isEqualTo("critical");
    assertThat(json.at("/labels/namespace").asText()).isEqualTo("shop");
    assertThat(json.at("/annotations/summary").asText()).startsWith("The kernel OOM killer");
    assertThat(json.at("/annotations/description").asText()).isEqualTo("limitHit=POD victimPid=41");
    assertThat(json.at("/annotations/first_check").asText()).isEqualTo("dmesg");
    assertThat(json.at("/annotations/fix").asText()).isEqualTo("raise the pod's limit");
    assertThat(json.get("startsAt").asText()).isEqualTo(java.time.Instant.ofEpochMilli(FIRED).toString());
    assertThat(json.get("endsAt").asText()).as("four resends ahead of now")
        .isEqualTo(java.time.Instant.ofEpochMilli(FIRED + 1_000 + 240_000).toString());
    assertThat(json.get("generatorURL").asText()).isEqualTo("http://oomwatch:7411/#i=node-7%7Cshop%2Fredis-0&from="
        + (FIRED + 60_000 - 300_000) + "&to=" + (FIRED + 60_000 + 120_000));
  }

  @Test
  void aResolvedAlertEndsWhenItResolvedAndKeepsTheSameLabels() {
    final ObjectNode firing = AlertmanagerPayload.toJson(kill(AlertStatus.FIRING), FIRED, 240_000, "http://x/");
    final ObjectNode resolved = AlertmanagerPayload.toJson(kill(AlertStatus.RESOLVED), FIRED + 90_000, 240_000, "http://x/");
    assertThat(resolved.get("labels")).isEqualTo(firing.get("labels"));
    assertThat(resolved.get("endsAt").asText()).isEqualTo(java.time.Instant.ofEpochMilli(FIRED + 60_000).toString());
  }

  @Test
  void aHostAlertHasNoInstanceLabelAndLinksToThePageSpanOnly() {
    final Alert host = killBuilder(AlertStatus.FIRING).setType(AlertType.OVERCOMMIT_HEURISTIC)
        .setSeverity(Severity.WARNING).setInstance(null).setPodName(null).setPodNamespace(null).setContainerName(null)
        .setEvidence(Map.of()).setFirstCheck("").build();
    final ObjectNode json = AlertmanagerPayload.toJson(host, FIRED, 240_000, "http://x/#token=abc");
    assertThat(AlertmanagerPayload.labels(host)).containsOnlyKeys("alertname", "severity", "host");
    assertThat(json.at("/annotations/description").asText()).isEmpty();
    assertThat(json.get("annotations").has("first_check")).isFalse();
    assertThat(json.get("annotations").has("next")).isFalse();
    final Alert explained = killBuilder(AlertStatus.FIRING).setEvidence(Map.of("next",
        "Redis now refuses every write with -MISCONF until a save succeeds.")).build();
    assertThat(AlertmanagerPayload.toJson(explained, FIRED, 240_000, "http://x/").at("/annotations/next").asText())
        .contains("-MISCONF");
    assertThat(json.get("generatorURL").asText()).startsWith("http://x/#from=").doesNotContain("token");
  }

  @Test
  void firingSetKeepsTheLatestWordPerKey() {
    final FiringSet set = new FiringSet();
    set.apply("k1", kill(AlertStatus.FIRING));
    set.apply("k2", kill(AlertStatus.FIRING));
    set.apply("k1", kill(AlertStatus.RESOLVED));
    set.apply("k3", kill(AlertStatus.FIRING));
    set.apply("k3", null);
    assertThat(set.size()).isEqualTo(1);
    assertThat(set.firing()).hasSize(1);
  }

  @Test
  void aSeverityChangeEndsTheAlertUnderItsOldSeverity() {
    final FiringSet set = new FiringSet();
    final Alert warning = killBuilder(AlertStatus.FIRING).setSeverity(Severity.WARNING).build();
    assertThat(set.apply("k", warning)).isNull();
    final Alert critical = killBuilder(AlertStatus.FIRING).setEventTimeMs(FIRED + 70_000).build();
    final Alert ended = set.apply("k", critical);
    assertThat(ended.getStatus()).isEqualTo(AlertStatus.RESOLVED);
    assertThat(AlertmanagerPayload.labels(ended)).containsEntry("severity", "warning");
    assertThat(ended.getResolvedAtMs()).isEqualTo(FIRED + 70_000);
    assertThat(set.apply("k", critical)).as("the same severity again ends nothing").isNull();
    assertThat(set.firing()).containsExactly(critical);
  }

  @Test
  void addressesAreTheApiBaseAndPrintWithoutCredentials() {
    assertThat(AlertmanagerConfig.apiBase("http://am:9093").resolve("api/v2/alerts").toString())
        .isEqualTo("http://am:9093/api/v2/alerts");
    assertThat(AlertmanagerConfig.apiBase("https://am/prefix/").resolve("api/v2/alerts").toString())
        .isEqualTo("https://am/prefix/api/v2/alerts");
    assertThat(AlertmanagerConfig.printable(AlertmanagerConfig.apiBase("http://user:secret@am:9093")))
        .isEqualTo("http://am:9093/").doesNotContain("secret");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> AlertmanagerConfig.apiBase("am:9093"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aDeploymentsFixedLabelsAndRunbookLinksGoOnEveryAlert() {
    final AlertmanagerConfig config = AlertmanagerConfig.from(dev.oomwatch.config.Settings.of(Map.of(
        "alertmanager.urls", "http://am:9093", "alertmanager.labels.cluster", "prod-eu-1",
        "alertmanager.labels.team", "cache", "alertmanager.runbook.url", "https://docs.example/oomwatch/runbooks.md")));
    final ObjectNode json = AlertmanagerPayload.toJson(kill(AlertStatus.FIRING), FIRED, 240_000, "http://x/", config.extras());
    assertThat(json.at("/labels/cluster").asText()).isEqualTo("prod-eu-1");
    // an alert that says its cluster (the collector's cluster.id) is labelled so, over the bridge's
    final Alert fromUs = killBuilder(AlertStatus.FIRING).setCluster("prod-us-2").build();
    assertThat(AlertmanagerPayload.toJson(fromUs, FIRED, 240_000, "http://x/", config.extras()).at("/labels/cluster").asText())
        .isEqualTo("prod-us-2");
    assertThat(json.at("/labels/team").asText()).isEqualTo("cache");
    assertThat(json.at("/labels/alertname").asText()).isEqualTo("KERNEL_OOM_KILL");
    assertThat(json.at("/annotations/runbook_url").asText())
        .isEqualTo("https://docs.example/oomwatch/runbooks.md#kernel_oom_kill");
    assertThat(AlertmanagerPayload.toJson(kill(AlertStatus.FIRING), FIRED, 240_000, "http://x/").get("annotations")
        .has("runbook_url")).as("none unless set").isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> AlertmanagerConfig.from(dev.oomwatch.config.Settings.of(
        Map.of("alertmanager.labels.severity", "x")))).hasMessageContaining("a label oomwatch sets itself");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> AlertmanagerConfig.from(dev.oomwatch.config.Settings.of(
        Map.of("alertmanager.labels.9x", "x")))).hasMessageContaining("not a Prometheus label name");
    // OOMWATCH_ALERTMANAGER_LABELS_TEAM_NAME, as the environment turns it into a setting
    assertThat(AlertmanagerConfig.extraLabels(dev.oomwatch.config.Settings.of(Map.of("alertmanager.labels.team.name", "cache"))))
        .containsExactly(Map.entry("team_name", "cache"));
  }
}
