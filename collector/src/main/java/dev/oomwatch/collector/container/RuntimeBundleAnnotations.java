package dev.oomwatch.collector.container;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * Pod, namespace and container names from an OCI bundle's {@code config.json}, where the CRI
 * runtimes write them as annotations: containerd's {@code io.kubernetes.cri.sandbox-name},
 * {@code io.kubernetes.cri.sandbox-namespace} and {@code io.kubernetes.cri.container-name}; CRI-O's
 * {@code io.kubernetes.pod.name}, {@code io.kubernetes.pod.namespace} and
 * {@code io.kubernetes.container.name}; nerdctl's {@code nerdctl/name} for a container outside pods.
 * Names that are not Kubernetes names are dropped. Pure: the
 * text in, the names out.
 */
public final class RuntimeBundleAnnotations {
  private static final ObjectMapper JSON = new ObjectMapper();

  private RuntimeBundleAnnotations() {}

  /** {@link PodNames#NONE} when the text is not JSON or carries no pod name. */
  public static PodNames parse(final String configJson, final String source) {
    if (configJson == null || configJson.isBlank()) {
      return PodNames.NONE;
    }
    final JsonNode annotations;
    try {
      annotations = JSON.readTree(configJson).path("annotations");
    } catch (IOException e) {
      return PodNames.NONE;
    }
    final String pod = first(annotations, "io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name");
    if (!KubeNames.podName(pod)) {
      // a container outside pods: nerdctl writes the name it was given (nerdctl run --name) as nerdctl/name
      final String named = first(annotations, "nerdctl/name");
      return named != null && KubeNames.podName(named) ? new PodNames(null, null, named, source, true) : PodNames.NONE;
    }
    final String namespace = first(annotations, "io.kubernetes.cri.sandbox-namespace", "io.kubernetes.pod.namespace");
    final String container = first(annotations, "io.kubernetes.cri.container-name", "io.kubernetes.container.name");
    // written by the runtime from the kubelet's request: the container cannot write it
    return new PodNames(pod, KubeNames.label(namespace) ? namespace : null,
        KubeNames.label(container) ? container : null, source, true);
  }

  private static String first(final JsonNode annotations, final String... keys) {
    for (final String key : keys) {
      final JsonNode value = annotations.get(key);
      if (value != null && value.isTextual() && !value.asText().isBlank()) {
        return value.asText();
      }
    }
    return null;
  }
}
