package dev.oomwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every manifest under deploy/kubernetes read into the Kubernetes API's own types (fabric8's
 * kubernetes-model): a field the API does not have (a typo, a wrong level) fails, as
 * {@code kubectl apply --validate=strict} would, and so does a kind this check does not know. Then
 * what the collector needs of its node is checked, since no cluster runs here to try it.
 */
class KubernetesManifestsTest {
  private static final Path DIR = Path.of("kubernetes");
  private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
      "v1/Namespace", Namespace.class, "v1/ConfigMap", ConfigMap.class, "v1/Secret", Secret.class,
      "v1/Service", Service.class, "apps/v1/DaemonSet", DaemonSet.class, "apps/v1/StatefulSet", StatefulSet.class,
      "apps/v1/Deployment", io.fabric8.kubernetes.api.model.apps.Deployment.class,
      "networking.k8s.io/v1/NetworkPolicy", io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class,
      "policy/v1/PodDisruptionBudget", io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class,
      "scheduling.k8s.io/v1/PriorityClass", io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass.class);
  private static final YAMLMapper YAML = (YAMLMapper) new YAMLMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  static List<HasMetadata> all() throws IOException {
    final List<HasMetadata> objects = new ArrayList<>();
    try (Stream<Path> files = Files.list(DIR)) {
      // kustomization.yaml is kustomize's, not the API's: KustomizeOverlaysTest renders it
      for (final Path file : files.filter(f -> f.toString().endsWith(".yaml") && !f.endsWith("kustomization.yaml"))
          .sorted().toList()) {
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
          objects.addAll(read(file.toString(), docs.readAll()));
        }
      }
    }
    return objects;
  }

  /** Documents into the Kubernetes API's types, each checked for fields the API does not have. */
  static List<HasMetadata> read(final String where, final List<JsonNode> docs) throws IOException {
    final List<HasMetadata> objects = new ArrayList<>();
    for (final JsonNode doc : docs) {
      if (doc == null || doc.isEmpty()) {
        continue;
      }
      final String key = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
      final Class<? extends HasMetadata> type = KINDS.get(key);
      assertThat(type).as("%s: a kind this check knows (%s)", where, key).isNotNull();
      final HasMetadata object = YAML.treeToValue(doc, type);
      final List<String> unknown = new ArrayList<>();
      unknownFields(object, key + " " + object.getMetadata().getName(), unknown, new IdentityHashMap<>());
      assertThat(unknown).as("%s: fields the Kubernetes API does not have", where).isEmpty();
      objects.add(object);
    }
    return objects;
  }

  @Test
  void everyManifestReadsIntoTheKubernetesApiWithNoUnknownField() throws IOException {
    final List<HasMetadata> objects = all();
    assertThat(objects).extracting(HasMetadata::getKind)
        .contains("Namespace", "DaemonSet", "StatefulSet", "Service", "ConfigMap");
    // the collector and what it reads in the namespace Pod Security lets it have the node; the rest
    // where "restricted" is enforced; a PriorityClass is the cluster's
    final Set<String> node = Set.of("DaemonSet/oomwatch-collector", "ConfigMap/oomwatch", "Secret/oomwatch-redis");
    for (final HasMetadata o : objects) {
      final String id = o.getKind() + "/" + o.getMetadata().getName();
      if (o instanceof Namespace || o instanceof io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass) {
        assertThat(o.getMetadata().getNamespace()).as(id).isNull();
      } else if (!node.contains(id)) {
        assertThat(o.getMetadata().getNamespace()).as(id).isEqualTo("oomwatch");
      } else if (!(o instanceof ConfigMap)) {
        assertThat(o.getMetadata().getNamespace()).as(id).isEqualTo("oomwatch-node");
      }
    }
    // the settings once for each namespace, alike
    final List<ConfigMap> settings = objects.stream().filter(o -> o instanceof ConfigMap).map(o -> (ConfigMap) o)
        .filter(c -> c.getMetadata().getName().equals("oomwatch")).toList();
    assertThat(settings).extracting(c -> c.getMetadata().getNamespace()).containsExactlyInAnyOrder("oomwatch", "oomwatch-node");
    assertThat(settings.get(0).getData()).isEqualTo(settings.get(1).getData());
  }

  @Test
  void everyPodButTheCollectorsPassesPodSecurityRestrictedWhereItIsEnforced() throws IOException {
    final Map<String, Namespace> namespaces = all().stream().filter(o -> o instanceof Namespace)
        .collect(Collectors.toMap(o -> o.getMetadata().getName(), o -> (Namespace) o));
    assertThat(namespaces.get("oomwatch").getMetadata().getLabels())
        .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
    assertThat(namespaces.get("oomwatch-node").getMetadata().getLabels())
        .containsEntry("pod-security.kubernetes.io/enforce", "privileged");
    int checked = 0;
    for (final HasMetadata o : all()) {
      final io.fabric8.kubernetes.api.model.PodTemplateSpec template = templateOf(o);
      if (template == null) {
        continue;
      }
      final String level = namespaces.get(o.getMetadata().getNamespace()).getMetadata().getLabels()
          .get("pod-security.kubernetes.io/enforce");
      if ("restricted".equals(level)) {
        assertThat(PodSecurity.restrictedViolations(template.getSpec())).as(o.getMetadata().getName()).isEmpty();
        checked++;
      } else {
        assertThat(o.getMetadata().getName()).isEqualTo("oomwatch-collector");
        assertThat(PodSecurity.restrictedViolations(template.getSpec())).as("the collector needs the node")
            .contains("hostPID", "hostNetwork", "hostPath volumes", "runAsNonRoot");
      }
    }
    assertThat(checked).isEqualTo(3);
  }

  @Test
  void everyWorkloadHasALivenessProbeOnAHealthEndpoint() throws IOException {
    int seen = 0;
    for (final HasMetadata o : all()) {
      final io.fabric8.kubernetes.api.model.PodTemplateSpec template = templateOf(o);
      if (template != null) {
        final Container c = template.getSpec().getContainers().get(0);
        assertThat(c.getLivenessProbe()).as(o.getMetadata().getName()).isNotNull();
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).as(o.getMetadata().getName()).isEqualTo("/healthz");
        assertThat(c.getPorts()).extracting(p -> p.getName()).contains(c.getLivenessProbe().getHttpGet().getPort().getStrVal());
        seen++;
      }
    }
    assertThat(seen).isEqualTo(4);
  }

  @Test
  void theCollectorOutranksTheWorkloadsItWatchesAndPreemptsNone() throws IOException {
    final DaemonSet ds = one(DaemonSet.class, "oomwatch-collector");
    final var priority = one(io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass.class,
        ds.getSpec().getTemplate().getSpec().getPriorityClassName());
    // a user's class: the system's (2e9 and above) are refused outside kube-system on many clusters
    assertThat(priority.getValue()).isPositive().isLessThanOrEqualTo(1_000_000_000);
    assertThat(priority.getPreemptionPolicy()).isEqualTo("Never");
    assertThat(priority.getGlobalDefault()).isFalse();
  }

  @Test
  void aDrainTakesOneStreamsReplicaAtATime() throws IOException {
    final var pdb = one(io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class, "oomwatch-streams");
    final StatefulSet sts = one(StatefulSet.class, "oomwatch-streams");
    assertThat(sts.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
    assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    assertThat(sts.getSpec().getReplicas()).isGreaterThan(1);
  }

  @Test
  void anUnknownFieldIsCaught() throws IOException {
    final JsonNode doc = YAML.readTree("""
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: x}
        spec:
          template:
            spec:
              hostPid: true
              containers: [{name: c, image: i}]
        """);
    final List<String> unknown = new ArrayList<>();
    unknownFields(YAML.treeToValue(doc, DaemonSet.class), "x", unknown, new IdentityHashMap<>());
    assertThat(unknown).singleElement().asString().contains("hostPid");
  }

  @Test
  void theCollectorSeesEveryNodesProcessesCgroupsKernelLogAndRuntimes() throws IOException {
    final DaemonSet ds = one(DaemonSet.class, "oomwatch-collector");
    final PodSpec pod = ds.getSpec().getTemplate().getSpec();
    assertThat(pod.getHostPID()).isTrue();
    assertThat(pod.getHostNetwork()).isTrue();
    assertThat(pod.getTolerations()).anySatisfy(t -> {
      assertThat(t.getOperator()).isEqualTo("Exists");
      assertThat(t.getKey()).isNull();
    });
    final Container c = pod.getContainers().get(0);
    final Map<String, EnvVar> env = c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    assertThat(env.get("OOMWATCH_HOST_ID").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
    assertThat(env.get("OOMWATCH_REDIS_DISCOVER").getValue()).isEqualTo("true");
    assertThat(env.get("OOMWATCH_KERNEL_PROC_ROOT").getValue()).isEqualTo("/host/proc");
    assertThat(env.get("OOMWATCH_KERNEL_RUNTIME_BUNDLES").getValue())
        .contains("/host/run/containerd/io.containerd.runtime.v2.task/k8s.io/{id}/config.json")
        .contains("/host/run/containers/storage/overlay-containers/{id}/userdata/config.json");
    // root to start with the capabilities, then uid 65534 keeping only those it reads with (UnprivilegedCollectorIT)
    assertThat(c.getSecurityContext().getRunAsUser()).isZero();
    assertThat(env.get("OOMWATCH_COLLECTOR_USER").getValue()).isEqualTo("65534");
    assertThat(c.getSecurityContext().getCapabilities().getAdd())
        .containsExactlyInAnyOrder("SETUID", "SETGID", "DAC_READ_SEARCH", "SYS_PTRACE", "SYSLOG");
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("metrics");
    assertThat(c.getSecurityContext().getPrivileged()).isNotEqualTo(Boolean.TRUE);

    final Map<String, Volume> volumes = pod.getVolumes().stream().collect(Collectors.toMap(Volume::getName, v -> v));
    assertThat(volumes.get("kmsg").getHostPath().getType()).isEqualTo("CharDevice");
    assertThat(env.get("OOMWATCH_KERNEL_RUNTIME_CONTAINERS").getValue())
        .isEqualTo("/host/var/lib/containers/storage/overlay-containers/containers.json");
    for (final String host : List.of("/proc", "/sys", "/sys/fs/cgroup", "/run/containerd", "/run/containers",
        "/var/lib/containers/storage/overlay-containers")) {
      assertThat(volumes.values()).as("a hostPath volume of %s", host)
          .anyMatch(v -> v.getHostPath() != null && v.getHostPath().getPath().equals(host));
    }
    for (final VolumeMount m : c.getVolumeMounts()) {
      assertThat(volumes).as("mount %s has a volume", m.getName()).containsKey(m.getName());
      if (volumes.get(m.getName()).getHostPath() != null) {
        assertThat(m.getReadOnly()).as("%s read-only", m.getName()).isTrue();
      }
    }
    // requests and limits from the measured footprint (109 MB resident at 4 instances)
    final Map<String, Quantity> requests = c.getResources().getRequests();
    final Map<String, Quantity> limits = c.getResources().getLimits();
    assertThat(Quantity.getAmountInBytes(requests.get("memory")).longValue()).isGreaterThanOrEqualTo(109L << 20);
    assertThat(Quantity.getAmountInBytes(limits.get("memory")).longValue())
        .isGreaterThan(Quantity.getAmountInBytes(requests.get("memory")).longValue());
    assertThat(requests).containsKey("cpu");
  }

  @Test
  void theStreamsAppKeepsStateOnAVolumeAndAdvertisesItsStableName() throws IOException {
    final StatefulSet sts = one(StatefulSet.class, "oomwatch-streams");
    final Service headless = one(Service.class, sts.getSpec().getServiceName());
    assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
    final Map<String, String> labels = sts.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(labels).containsAllEntriesOf(headless.getSpec().getSelector());
    assertThat(labels).containsAllEntriesOf(one(Service.class, "oomwatch-api").getSpec().getSelector());
    final Container c = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
    final Map<String, EnvVar> env = c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    assertThat(env.get("POD_NAME").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
    assertThat(env.get("OOMWATCH_HTTP_ADVERTISED_HOST").getValue())
        .isEqualTo("$(POD_NAME)." + headless.getMetadata().getName() + ".$(POD_NAMESPACE).svc.cluster.local");
    assertThat(env.get("POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.namespace");
    final String stateDir = env.get("OOMWATCH_STREAMS_STATE_DIR").getValue();
    final Set<String> claims = sts.getSpec().getVolumeClaimTemplates().stream().map(p -> p.getMetadata().getName())
        .collect(Collectors.toSet());
    assertThat(c.getVolumeMounts()).anyMatch(m -> claims.contains(m.getName()) && stateDir.startsWith(m.getMountPath()));
    assertThat(c.getPorts()).anyMatch(p -> p.getContainerPort() == 7411);
    // replicas starting together reach each other before they are ready; the probe needs no token
    assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
  }

  @Test
  void everyComponentReadsItsKafkaCredentialsFromASecretOfItsOwn() throws IOException {
    final Map<String, String> secretOf = Map.of("oomwatch-collector", "oomwatch-kafka-collector",
        "oomwatch-streams", "oomwatch-kafka-streams", "oomwatch-archiver", "oomwatch-kafka-archiver",
        "oomwatch-alertmanager", "oomwatch-kafka-alertmanager");
    for (final var e : secretOf.entrySet()) {
      final Container c = podTemplateOf(e.getKey()).getSpec().getContainers().get(0);
      assertThat(c.getEnvFrom()).as(e.getKey()).filteredOn(from -> from.getSecretRef() != null).anySatisfy(from -> {
        assertThat(from.getSecretRef().getName()).isEqualTo(e.getValue());
        assertThat(from.getSecretRef().getOptional()).isTrue();
      });
    }
  }

  static io.fabric8.kubernetes.api.model.PodTemplateSpec templateOf(final HasMetadata o) {
    if (o instanceof DaemonSet d) {
      return d.getSpec().getTemplate();
    } else if (o instanceof StatefulSet st) {
      return st.getSpec().getTemplate();
    } else if (o instanceof io.fabric8.kubernetes.api.model.apps.Deployment d) {
      return d.getSpec().getTemplate();
    }
    return null;
  }

  private static io.fabric8.kubernetes.api.model.PodTemplateSpec podTemplateOf(final String workload) throws IOException {
    for (final HasMetadata o : all()) {
      if (!o.getMetadata().getName().equals(workload)) {
        continue;
      }
      if (o instanceof DaemonSet d) {
        return d.getSpec().getTemplate();
      } else if (o instanceof StatefulSet st) {
        return st.getSpec().getTemplate();
      } else if (o instanceof io.fabric8.kubernetes.api.model.apps.Deployment d) {
        return d.getSpec().getTemplate();
      }
    }
    throw new AssertionError("no workload " + workload);
  }

  @Test
  void theStreamsAppsApiIsReachableOnlyFromItsPeersAndLabelledClients() throws IOException {
    final var policy = one(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class, "oomwatch-streams");
    final StatefulSet sts = one(StatefulSet.class, "oomwatch-streams");
    assertThat(sts.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(policy.getSpec().getPodSelector().getMatchLabels());
    assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
    final var api = policy.getSpec().getIngress().stream()
        .filter(r -> r.getPorts().stream().anyMatch(p -> "http".equals(p.getPort().getStrVal()))).findFirst().orElseThrow();
    assertThat(api.getFrom()).hasSize(2).allSatisfy(peer -> assertThat(peer.getPodSelector()).isNotNull());
    // clients from other namespaces only where the namespace, not just the pod, is labelled
    assertThat(api.getFrom()).filteredOn(peer -> peer.getNamespaceSelector() != null).singleElement()
        .satisfies(peer -> assertThat(peer.getNamespaceSelector().getMatchLabels())
            .containsEntry("oomwatch.dev/api-access", "true"));
    final var scrape = policy.getSpec().getIngress().stream()
        .filter(r -> r.getPorts().stream().anyMatch(p -> "metrics".equals(p.getPort().getStrVal()))).findFirst().orElseThrow();
    assertThat(scrape.getFrom()).singleElement().satisfies(f -> assertThat(f.getNamespaceSelector().getMatchLabels())
        .containsEntry("oomwatch.dev/scrape", "true"));
    final Container c = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getPorts()).extracting(p -> p.getName()).contains("http", "metrics");
  }

  @Test
  void theArchiverKeepsItsFilesOnAVolume() throws IOException {
    final StatefulSet sts = one(StatefulSet.class, "oomwatch-archiver");
    assertThat(one(Service.class, sts.getSpec().getServiceName()).getSpec().getClusterIP()).isEqualTo("None");
    assertThat(sts.getSpec().getVolumeClaimTemplates()).isNotEmpty();
  }

  @Test
  void everyProcessServesMetricsOnItsPortWithTheScrapeAnnotations() throws IOException {
    final Map<String, Integer> ports = Map.of("oomwatch-collector", 9471, "oomwatch-streams", 9472,
        "oomwatch-archiver", 9473, "oomwatch-alertmanager", 9474);
    int seen = 0;
    for (final HasMetadata o : all()) {
      final io.fabric8.kubernetes.api.model.PodTemplateSpec template = o instanceof DaemonSet d ? d.getSpec().getTemplate()
          : o instanceof StatefulSet s ? s.getSpec().getTemplate()
          : o instanceof io.fabric8.kubernetes.api.model.apps.Deployment d2 ? d2.getSpec().getTemplate() : null;
      if (template == null) {
        continue;
      }
      final Integer port = ports.get(o.getMetadata().getName());
      assertThat(port).as("a known workload: %s", o.getMetadata().getName()).isNotNull();
      assertThat(template.getMetadata().getAnnotations())
          .containsEntry("prometheus.io/scrape", "true").containsEntry("prometheus.io/port", String.valueOf(port));
      assertThat(template.getSpec().getContainers().get(0).getPorts()).anyMatch(p -> p.getContainerPort().equals(port));
      seen++;
    }
    assertThat(seen).isEqualTo(4);
    final ConfigMap config = one(ConfigMap.class, "oomwatch");
    assertThat(config.getData()).containsEntry("OOMWATCH_METRICS_BIND", "0.0.0.0");
  }

  private static <T extends HasMetadata> T one(final Class<T> type, final String name) throws IOException {
    return all().stream().filter(type::isInstance).map(type::cast)
        .filter(o -> o.getMetadata().getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
  }

  /** Every non-empty additionalProperties in the object graph: fields the API's types do not have. */
  static void unknownFields(final Object object, final String path, final List<String> out,
      final IdentityHashMap<Object, Boolean> seen) {
    if (object == null || seen.put(object, Boolean.TRUE) != null) {
      return;
    }
    if (object instanceof Collection<?> list) {
      int i = 0;
      for (final Object item : list) {
        unknownFields(item, path + "[" + i++ + "]", out, seen);
      }
      return;
    }
    if (object instanceof Map<?, ?> map) {
      map.forEach((k, v) -> unknownFields(v, path + "." + k, out, seen));
      return;
    }
    if (!object.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (final Method m : object.getClass().getMethods()) {
      if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getDeclaringClass() == Object.class) {
        continue;
      }
      try {
        final Object value = m.invoke(object);
        if (m.getName().equals("getAdditionalProperties")) {
          if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
            out.add(path + ": " + extra.keySet());
          }
        } else {
          unknownFields(value, path + "." + m.getName().substring(3), out, seen);
        }
      } catch (ReflectiveOperationException | RuntimeException e) {
        // a getter that computes (not a field): nothing to check
      }
    }
  }
}
