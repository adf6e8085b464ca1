package dev.oomwatch.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The Pod Security Standards' "restricted" level (baseline's checks and restricted's own), as the
 * kubelet's admission applies them to a pod spec (kubernetes.io/docs/concepts/security/pod-security-standards):
 * no cluster runs here to refuse a pod, so the build checks what it would. Returns the names of the
 * checks a pod fails.
 */
final class PodSecurity {
  private PodSecurity() {}

  private static final Set<String> RESTRICTED_VOLUMES = Set.of("configMap", "csi", "downwardAPI", "emptyDir",
      "ephemeral", "persistentVolumeClaim", "projected", "secret");

  static Set<String> restrictedViolations(final PodSpec pod) {
    final Set<String> out = new LinkedHashSet<>();
    final PodSecurityContext podContext = pod.getSecurityContext() == null ? new PodSecurityContext()
        : pod.getSecurityContext();
    final List<Container> containers = new ArrayList<>(pod.getContainers());
    if (pod.getInitContainers() != null) {
      containers.addAll(pod.getInitContainers());
    }
    if (Boolean.TRUE.equals(pod.getHostNetwork())) {
      out.add("hostNetwork");
    }
    if (Boolean.TRUE.equals(pod.getHostPID())) {
      out.add("hostPID");
    }
    if (Boolean.TRUE.equals(pod.getHostIPC())) {
      out.add("hostIPC");
    }
    for (final Volume v : pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()) {
      if (v.getHostPath() != null) {
        out.add("hostPath volumes");
      } else if (!RESTRICTED_VOLUMES.contains(volumeType(v))) {
        out.add("volume types (" + volumeType(v) + ")");
      }
    }
    if (podContext.getSysctls() != null && !podContext.getSysctls().isEmpty()) {
      out.add("sysctls");
    }
    final boolean podNonRoot = Boolean.TRUE.equals(podContext.getRunAsNonRoot());
    if (podContext.getRunAsUser() != null && podContext.getRunAsUser() == 0) {
      out.add("runAsUser=0");
    }
    for (final Container c : containers) {
      final SecurityContext sc = c.getSecurityContext() == null ? new SecurityContext() : c.getSecurityContext();
      if (Boolean.TRUE.equals(sc.getPrivileged())) {
        out.add("privileged");
      }
      if (c.getPorts() != null && c.getPorts().stream().anyMatch(p -> p.getHostPort() != null && p.getHostPort() != 0)) {
        out.add("hostPorts");
      }
      if (sc.getProcMount() != null && !"Default".equals(sc.getProcMount())) {
        out.add("procMount");
      }
      if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
        out.add("allowPrivilegeEscalation");
      }
      if (!(Boolean.TRUE.equals(sc.getRunAsNonRoot()) || podNonRoot && sc.getRunAsNonRoot() == null)) {
        out.add("runAsNonRoot");
      }
      if (sc.getRunAsUser() != null && sc.getRunAsUser() == 0) {
        out.add("runAsUser=0");
      }
      final SeccompProfile seccomp = sc.getSeccompProfile() != null ? sc.getSeccompProfile() : podContext.getSeccompProfile();
      if (seccomp == null || !Set.of("RuntimeDefault", "Localhost").contains(seccomp.getType())) {
        out.add("seccompProfile");
      }
      final var caps = sc.getCapabilities();
      if (caps == null || caps.getDrop() == null || !caps.getDrop().contains("ALL")) {
        out.add("capabilities (drop ALL)");
      }
      if (caps != null && caps.getAdd() != null && caps.getAdd().stream().anyMatch(a -> !a.equals("NET_BIND_SERVICE"))) {
        out.add("capabilities (add)");
      }
    }
    return out;
  }

  /** The volume's source field, as Pod Security names volume types. */
  private static String volumeType(final Volume v) {
    final List<Function<Volume, Object>> sources = List.of(Volume::getConfigMap, Volume::getCsi, Volume::getDownwardAPI,
        Volume::getEmptyDir, Volume::getEphemeral, Volume::getPersistentVolumeClaim, Volume::getProjected, Volume::getSecret);
    final List<String> names = List.of("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
        "persistentVolumeClaim", "projected", "secret");
    for (int i = 0; i < sources.size(); i++) {
      if (sources.get(i).apply(v) != null) {
        return names.get(i);
      }
    }
    return "other";
  }
}
