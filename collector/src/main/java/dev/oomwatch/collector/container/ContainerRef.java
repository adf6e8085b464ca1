package dev.oomwatch.collector.container;

/**
 * What a memory cgroup path says about the container a process runs in. Any part may be null:
 * a Docker container outside Kubernetes has no pod, a kubelet cgroupfs path does not name its
 * runtime.
 */
public record ContainerRef(String runtime, String containerId, String podUid, String qosClass) {

  public boolean inPod() {
    return podUid != null;
  }
}
