package dev.oomwatch.collector.container;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every memory cgroup path form a container's process shows in /proc/PID/cgroup. Written from the
 * documented layouts (the kubelet's cgroupfs and systemd drivers, containerd, CRI-O and Docker), not
 * captured from a cluster: none runs here.
 */
class CgroupPathParserTest {
  private static final String ID = "3f1c2b0e9d8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e";
  private static final String UID = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
  private static final String UID_ = "0a1b2c3d_4e5f_6789_abcd_ef0123456789";

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      // kubelet, cgroupfs driver (cgroup v1 and v2 name it alike); containerd names the container by its id
      "/kubepods/burstable/pod" + UID + "/" + ID + "|-|" + ID + "|" + UID + "|burstable",
      "/kubepods/besteffort/pod" + UID + "/" + ID + "|-|" + ID + "|" + UID + "|besteffort",
      // a guaranteed pod sits directly under kubepods
      "/kubepods/pod" + UID + "/" + ID + "|-|" + ID + "|" + UID + "|guaranteed",
      // CRI-O with the cgroupfs driver
      "/kubepods/burstable/pod" + UID + "/crio-" + ID + "|cri-o|" + ID + "|" + UID + "|burstable",
      // kubelet, systemd driver, containerd
      "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice/cri-containerd-" + ID
          + ".scope|containerd|" + ID + "|" + UID + "|burstable",
      "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + UID_ + ".slice/cri-containerd-" + ID
          + ".scope|containerd|" + ID + "|" + UID + "|besteffort",
      "/kubepods.slice/kubepods-pod" + UID_ + ".slice/cri-containerd-" + ID + ".scope|containerd|" + ID + "|" + UID
          + "|guaranteed",
      // kubelet, systemd driver, CRI-O and Docker (cri-dockerd)
      "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice/crio-" + ID
          + ".scope|cri-o|" + ID + "|" + UID + "|burstable",
      "/kubepods.slice/kubepods-pod" + UID_ + ".slice/docker-" + ID + ".scope|docker|" + ID + "|" + UID + "|guaranteed",
      // Docker alone: systemd and cgroupfs drivers
      "/system.slice/docker-" + ID + ".scope|docker|" + ID + "|-|-",
      "/docker/" + ID + "|docker|" + ID + "|-|-",
      // podman (captured here, podman 4.3 with runc): run and kube play, cgroupfs; and the systemd forms
      "/libpod_parent/libpod-" + ID + "|podman|" + ID + "|-|-",
      "/libpod_parent/5e07316cf22c70ebc832642d8b13cf0ac4b969bebdec109f4625671b020b382e/libpod-" + ID
          + "|podman|" + ID + "|-|-",
      "/machine.slice/libpod-" + ID + ".scope|podman|" + ID + "|-|-",
      "/machine.slice/machine-libpod_pod_5e07316cf22c70ebc832642d8b13cf0ac4b969bebdec109f4625671b020b382e.slice/libpod-"
          + ID + ".scope|podman|" + ID + "|-|-",
      // containerd outside Kubernetes: ctr and nerdctl in the default namespace (cgroupfs), nerdctl with systemd
      "/default/" + ID + "|containerd|" + ID + "|-|-",
      "/system.slice/nerdctl-" + ID + ".scope|containerd|" + ID + "|-|-",
      // the pod level itself (a process in the pod's cgroup, not a container's)
      "/kubepods/burstable/pod" + UID + "|-|-|" + UID + "|burstable",
  })
  void readsRuntimeContainerPodAndQos(final String path, final String runtime, final String id, final String pod,
      final String qos) {
    final ContainerRef ref = CgroupPathParser.parse(path);
    assertThat(ref).isNotNull();
    assertThat(ref.runtime()).isEqualTo(runtime);
    assertThat(ref.containerId()).isEqualTo(id);
    assertThat(ref.podUid()).isEqualTo(pod);
    assertThat(ref.qosClass()).isEqualTo(qos);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"/", "/system.slice/redis-server.service", "/user.slice/user-0.slice/session-3.scope",
      "/oomwatch-demo-1234", "/kubepods", "/kubepods/burstable", "/docker"})
  void findsNoContainerInTheHostsOwnCgroups(final String path) {
    assertThat(CgroupPathParser.parse(path)).isNull();
  }
}
