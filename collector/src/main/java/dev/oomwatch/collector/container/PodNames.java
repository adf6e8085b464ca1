package dev.oomwatch.collector.container;

/**
 * The names Kubernetes gave a container, where they were read, and whether that source is one the
 * container cannot write ({@code verified}: the runtime's bundle, written from the kubelet's
 * request). Names a process gives of itself (its {@code HOSTNAME}, its {@code /etc/hostname}) are
 * labels only: never an instance's id, never a reason to send a credential. Any name may be null.
 */
public record PodNames(String podName, String podNamespace, String containerName, String source, boolean verified) {
  public static final PodNames NONE = new PodNames(null, null, null, null, false);

  public boolean known() {
    return podName != null;
  }
}
