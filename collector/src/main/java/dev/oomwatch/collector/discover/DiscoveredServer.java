package dev.oomwatch.collector.discover;

import dev.oomwatch.collector.container.ContainerRef;
import dev.oomwatch.collector.container.PodNames;

/**
 * A redis-server or valkey-server found in the host's /proc, with where to reach it, its container
 * and names, and (outside containers) its executable as the kernel knows it.
 */
public record DiscoveredServer(long hostPid, Endpoint endpoint, ContainerRef container, PodNames names,
    HostExecutable executable) {

  /**
   * The instance id it is published under, from what the server cannot choose: its pod's
   * "namespace/pod" when the runtime's bundle names it (stable across the container's restarts, as
   * restart detection needs); else its pod's uid from the cgroup path ("pod-&lt;uid&gt;", whatever
   * name the pod gives itself); a container's short id; else address:port. The port is added where
   * it is not Redis's default.
   */
  public String instance() {
    final int port = endpoint.port();
    final String suffix = port == 6379 ? "" : ":" + port;
    if (names != null && names.known() && names.verified()) {
      final String pod = names.podNamespace() == null ? names.podName() : names.podNamespace() + "/" + names.podName();
      return pod + suffix;
    }
    if (names != null && names.verified() && names.containerName() != null && (container == null || !container.inPod())) {
      // a container outside Kubernetes (podman, Docker) by the name its runtime keeps for it
      return names.containerName() + suffix;
    }
    if (container != null && container.podUid() != null) {
      return "pod-" + container.podUid() + suffix;
    }
    if (container != null && container.containerId() != null) {
      return container.containerId().substring(0, 12) + suffix;
    }
    return fallbackInstance();
  }

  /** address:port: unique on the host, for a server whose other id is taken by another. */
  public String fallbackInstance() {
    final String address = endpoint.address();
    return (address.contains(":") ? "[" + address + "]" : address) + ":" + endpoint.port();
  }

  /** "namespace/pod" as the runtime's bundle names it, or null: the only pod key credentials go by. */
  public String verifiedPodKey() {
    if (names == null || !names.known() || !names.verified()) {
      return null;
    }
    return (names.podNamespace() == null ? "" : names.podNamespace() + "/") + names.podName();
  }

  /** The pod's name as a label, verified or not; null outside pods. */
  public String podLabel() {
    if (names == null || !names.known()) {
      return null;
    }
    return (names.podNamespace() == null ? "" : names.podNamespace() + "/") + names.podName()
        + (names.verified() ? "" : " (its own word)");
  }
}
