package dev.oomwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kustomize base and its overlays rendered by kubectl's own kustomize, as a platform team
 * applies them: every object of the API's kinds read into its types with no unknown field, each
 * overlay doing what it says, and the PrometheusRule's rules passing promtool's check and tests.
 */
class KustomizeOverlaysTest {
  private static final YAMLMapper YAML = new YAMLMapper();

  @TempDir Path dir;

  @Test
  void theBaseRendersTheManifestsAsTheyAre() throws Exception {
    final List<JsonNode> docs = render("kubernetes");
    assertThat(KubernetesManifestsTest.read("kustomize base", docs)).extracting(HasMetadata::getKind)
        .containsExactlyInAnyOrderElementsOf(KubernetesManifestsTest.all().stream().map(HasMetadata::getKind).toList());
  }

  @Test
  void anExistingNamespaceGetsEveryObjectAndNoNamespaceIsMade() throws Exception {
    final List<HasMetadata> objects = KubernetesManifestsTest.read("existing-namespace", render("overlays/existing-namespace"));
    assertThat(objects).noneMatch(o -> o instanceof Namespace);
    assertThat(objects).isNotEmpty()
        .filteredOn(o -> !(o instanceof io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass))
        .allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).isEqualTo("observability"));
    assertThat(objects).filteredOn(o -> o instanceof ConfigMap).singleElement()
        .satisfies(c -> assertThat(((ConfigMap) c).getData()).containsKey("OOMWATCH_KAFKA_BOOTSTRAP_SERVERS"));
  }

  @Test
  void grafanasSidecarGetsTheDashboardWithClusterAndNamespaceVariablesAndATopN() throws Exception {
    final ConfigMap dashboard = KubernetesManifestsTest.read("grafana-sidecar", render("overlays/grafana-sidecar")).stream()
        .filter(o -> o instanceof ConfigMap && o.getMetadata().getName().equals("oomwatch-grafana-dashboard"))
        .map(o -> (ConfigMap) o).findFirst().orElseThrow();
    assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    final JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dashboard.getData().get("oomwatch.json"));
    assertThat(json).isEqualTo(new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(Files.readString(Path.of("grafana/oomwatch.json"))));
    assertThat(json.path("templating").path("list").findValuesAsText("name")).contains("cluster", "namespace", "topn");
    // every instance figure is chosen by cluster and namespace; the top-N panels bound what is drawn
    assertThat(json.findValuesAsText("expr")).filteredOn(e -> e.contains("oomwatch_instance_"))
        .allSatisfy(e -> assertThat(e).contains("cluster=~\"$cluster\"").contains("namespace=~\"$namespace\""));
    assertThat(json.findValuesAsText("expr")).anyMatch(e -> e.startsWith("topk($topn,"))
        .anyMatch(e -> e.startsWith("bottomk($topn,"));
  }

  @Test
  void theReadmesOverlayForAClusterRendersWhatItSays() throws Exception {
    // the README's step 2, as a team copies it, on this checkout's overlay instead of the tag's
    final String readme = Files.readString(Path.of("..", "README.md"));
    final int start = readme.indexOf("   apiVersion: kustomize.config.k8s.io/v1beta1\n   kind: Kustomization\n   resources:");
    assertThat(start).isPositive();
    final String yaml = readme.substring(start, readme.indexOf("   ```", start)).lines().map(l -> l.substring(3))
        .collect(java.util.stream.Collectors.joining("\n"))
        .replaceAll("https://github.com/oomwatch/oomwatch//deploy/overlays/prometheus-operator\\S*.*", "../../overlays/prometheus-operator");
    final Path overlay = Path.of("target", "readme-overlay");
    Files.createDirectories(overlay);
    Files.writeString(overlay.resolve("kustomization.yaml"), yaml + "\n");
    final List<JsonNode> docs = render(overlay.toString());
    final List<ConfigMap> settings = docs.stream().filter(d -> "ConfigMap".equals(d.path("kind").asText())
        && "oomwatch".equals(d.at("/metadata/name").asText())).map(d -> YAML.convertValue(d, ConfigMap.class)).toList();
    assertThat(settings).hasSize(2).allSatisfy(c -> assertThat(c.getData())
        .containsEntry("OOMWATCH_KAFKA_BOOTSTRAP_SERVERS", "kafka-0.kafka:9092").containsEntry("OOMWATCH_CLUSTER_ID", "eu-west-1"));
    final List<String> images = docs.stream().flatMap(d -> d.findValuesAsText("image").stream()).toList();
    assertThat(images).hasSize(4).allSatisfy(i -> assertThat(i).startsWith("registry.example.com/oomwatch/")
        .endsWith(":" + System.getProperty("oomwatch.version")));
    assertThat(docs.toString()).contains("http://alertmanager-operated.monitoring:9093");
  }

  @Test
  void systemNodeCriticalReplacesTheBasesPriorityClass() throws Exception {
    final List<HasMetadata> objects = KubernetesManifestsTest.read("system-node-critical",
        render("overlays/system-node-critical"));
    assertThat(objects).noneMatch(o -> o instanceof io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass);
    assertThat(objects).filteredOn(o -> o instanceof io.fabric8.kubernetes.api.model.apps.DaemonSet).singleElement()
        .satisfies(d -> assertThat(((io.fabric8.kubernetes.api.model.apps.DaemonSet) d).getSpec().getTemplate().getSpec()
            .getPriorityClassName()).isEqualTo("system-node-critical"));
  }

  @Test
  void theForkGuardOverlayTurnsItOnAndGivesTheCollectorKillOnly() throws Exception {
    final io.fabric8.kubernetes.api.model.Container collector = KubernetesManifestsTest.read("fork-guard",
        render("overlays/fork-guard")).stream().filter(o -> o instanceof io.fabric8.kubernetes.api.model.apps.DaemonSet)
        .map(o -> ((io.fabric8.kubernetes.api.model.apps.DaemonSet) o).getSpec().getTemplate().getSpec().getContainers()
            .get(0)).findFirst().orElseThrow();
    assertThat(collector.getEnv()).anySatisfy(e -> {
      assertThat(e.getName()).isEqualTo("OOMWATCH_GUARD_ENABLED");
      assertThat(e.getValue()).isEqualTo("true");
    });
    assertThat(collector.getSecurityContext().getCapabilities().getAdd())
        .containsExactly("SETUID", "SETGID", "DAC_READ_SEARCH", "SYS_PTRACE", "SYSLOG", "KILL");
  }

  @Test
  void aSecuredKafkaAsksForSaslOverTls() throws Exception {
    final List<ConfigMap> configs = KubernetesManifestsTest.read("secured-kafka", render("overlays/secured-kafka")).stream()
        .filter(o -> o instanceof ConfigMap).map(o -> (ConfigMap) o).toList();
    // the collector's namespace and the others': one patch for both
    assertThat(configs).hasSize(2).allSatisfy(config -> assertThat(config.getData())
        .containsEntry("OOMWATCH_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
        .containsEntry("OOMWATCH_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
        .containsKey("OOMWATCH_KAFKA_BOOTSTRAP_SERVERS"));
  }

  @Test
  void thePrometheusOperatorGetsAPodMonitorAndRulesPromtoolPasses() throws Exception {
    final List<JsonNode> docs = render("overlays/prometheus-operator");
    final List<JsonNode> core = new ArrayList<>();
    JsonNode monitor = null;
    JsonNode rule = null;
    for (final JsonNode d : docs) {
      switch (d.path("kind").asText()) {
        case "PodMonitor" -> monitor = d;
        case "PrometheusRule" -> rule = d;
        default -> core.add(d);
      }
    }
    KubernetesManifestsTest.read("prometheus-operator", core);
    assertThat(monitor).isNotNull();
    assertThat(monitor.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(monitor.at("/spec/selector/matchLabels/app.kubernetes.io~1part-of").asText()).isEqualTo("oomwatch");
    assertThat(monitor.at("/spec/podMetricsEndpoints/0/port").asText()).as("every pod's port is named metrics")
        .isEqualTo("metrics");
    assertThat(rule).isNotNull();
    final Path rules = dir.resolve("oomwatch-rules.yml");
    Files.writeString(rules, YAML.writeValueAsString(rule.get("spec")));
    assertThat(run("promtool", "check", "rules", rules.toString())).as("promtool check rules").startsWith("0\n");
    final Path tests = dir.resolve("oomwatch-rules-test.yml");
    Files.writeString(tests, Files.readString(Path.of("src/test/resources/prometheus-rule-test.yml"))
        .replace("  - RULES", "  - " + rules));
    final String tested = run("promtool", "test", "rules", tests.toString());
    assertThat(tested).as("promtool test rules").startsWith("0\n").contains("SUCCESS");
  }

  private List<JsonNode> render(final String folder) throws Exception {
    final String out = run("kubectl", "kustomize", folder);
    assertThat(out).as("kubectl kustomize %s", folder).startsWith("0\n");
    try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(out.substring(2))) {
      return docs.readAll();
    }
  }

  /** The exit code, a line break, then what it printed. */
  private static String run(final String... command) throws IOException, InterruptedException {
    final Path output = Files.createTempFile("oomwatch-run", ".out");
    try {
      final Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
      final boolean ended = p.waitFor(120, TimeUnit.SECONDS);
      if (!ended) {
        p.destroyForcibly();
      }
      return (ended ? p.exitValue() : -1) + "\n" + Files.readString(output, StandardCharsets.UTF_8);
    } finally {
      Files.deleteIfExists(output);
    }
  }
}
