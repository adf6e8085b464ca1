package dev.oomwatch.collector.container;

/** The names Kubernetes gave a container, and where they were read; any may be null. */
public record PodNames(String podName, String podNamespace, String containerName, String source) {
  public static final PodNames NONE = new PodNames(null, null, null, null);

  public boolean known() {
    return podName != null;
  }
}
