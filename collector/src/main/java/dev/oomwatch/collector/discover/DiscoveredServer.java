package dev.oomwatch.collector.discover;

import dev.oomwatch.collector.container.ContainerRef;
import dev.oomwatch.collector.container.PodNames;

/** A redis-server or valkey-server found in the host's /proc, with where to reach it and its name. */
public record DiscoveredServer(long hostPid, Endpoint endpoint, ContainerRef container, PodNames names) {

  /**
   * The instance id it is published under: its pod ("namespace/pod"), with the port where it is not
   * Redis's default; a Docker container's short id; else address:port, as an explicit URI would be.
   */
  public String instance() {
    final int port = endpoint.port();
    final String suffix = port == 6379 ? "" : ":" + port;
    if (names != null && names.known()) {
      final String pod = names.podNamespace() == null ? names.podName() : names.podNamespace() + "/" + names.podName();
      return pod + suffix;
    }
    if (container != null && container.containerId() != null) {
      return container.containerId().substring(0, 12) + suffix;
    }
    return endpoint.address() + ":" + port;
  }

  /** "ns/pod" for credential patterns, or null outside pods. */
  public String podKey() {
    if (names == null || !names.known()) {
      return null;
    }
    return (names.podNamespace() == null ? "" : names.podNamespace() + "/") + names.podName();
  }
}
