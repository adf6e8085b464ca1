package dev.oomwatch.collector.container;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The container and pod behind a memory cgroup path, for cgroup v1 and v2 alike (the path forms
 * are the same): the kubelet's cgroupfs driver ({@code /kubepods/burstable/pod<uid>/<id>}) and
 * systemd driver ({@code /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/
 * cri-containerd-<id>.scope}), guaranteed pods directly under kubepods, containerd, CRI-O
 * ({@code crio-<id>}), Docker ({@code docker-<id>.scope}, {@code /docker/<id>}) and podman
 * ({@code /libpod_parent/[<pod id>/]libpod-<id>} with cgroupfs, {@code /machine.slice/
 * [machine-libpod_pod_<pod id>.slice/]libpod-<id>.scope} with systemd) and containerd outside
 * Kubernetes (ctr and nerdctl: {@code /<namespace>/<id>} with cgroupfs, {@code /system.slice/
 * nerdctl-<id>.scope} with systemd; written from their documentation, not captured here). Pure.
 */
public final class CgroupPathParser {
  private static final String ID = "([0-9a-f]{64})";
  private static final Pattern SCOPE = Pattern.compile("^(cri-containerd|crio|docker|libpod|nerdctl)-" + ID + "(?:\\.scope)?$");
  private static final Pattern BARE_ID = Pattern.compile("^" + ID + "$");
  /** pod<uid> (cgroupfs: dashes) or kubepods[-qos]-pod<uid>.slice (systemd: underscores). */
  private static final Pattern POD = Pattern.compile(
      "^(?:kubepods(?:-(?:burstable|besteffort))?-)?pod([0-9a-fA-F_-]{32,36})(?:\\.slice)?$");
  private static final Pattern QOS = Pattern.compile("^kubepods-(burstable|besteffort)(?:\\.slice)?$|^(burstable|besteffort)$");

  private CgroupPathParser() {}

  /** Null when the path shows no container (the host's own services, a cgroup namespace's "/"). */
  public static ContainerRef parse(final String path) {
    if (path == null || path.isEmpty()) {
      return null;
    }
    final String[] parts = path.split("/");
    // /<namespace>/<id>: containerd's own layout (WithNamespacedCgroup), a namespace no slice or service
    final boolean containerdNamespaced = parts.length == 3 && parts[0].isEmpty() && !parts[1].contains(".")
        && !parts[1].equals("docker") && !parts[1].startsWith("kubepods") && BARE_ID.matcher(parts[2]).matches();
    String runtime = null;
    String id = null;
    String podUid = null;
    String qos = null;
    boolean kubepods = false;
    String previous = "";
    for (final String part : parts) {
      if (part.isEmpty()) {
        continue;
      }
      if (part.equals("kubepods") || part.equals("kubepods.slice")) {
        kubepods = true;
      }
      final Matcher qosMatch = QOS.matcher(part);
      if (kubepods && qosMatch.matches()) {
        qos = qosMatch.group(1) != null ? qosMatch.group(1) : qosMatch.group(2);
      }
      final Matcher pod = POD.matcher(part);
      if (kubepods && pod.matches()) {
        podUid = pod.group(1).replace('_', '-');
        if (qos == null) {
          // a pod directly under kubepods, with no QoS level between, is a guaranteed pod
          qos = "guaranteed";
        }
      }
      final Matcher scope = SCOPE.matcher(part);
      if (scope.matches()) {
        runtime = runtimeOf(scope.group(1));
        id = scope.group(2);
      } else if (id == null && BARE_ID.matcher(part).matches()
          && (podUid != null || previous.equals("docker") || containerdNamespaced)) {
        // cgroupfs names a container by its bare id: under a pod (containerd or Docker with the
        // kubelet), under /docker (Docker's own cgroupfs layout), or under containerd's namespace
        id = part;
        runtime = previous.equals("docker") ? "docker" : containerdNamespaced ? "containerd" : null;
      }
      previous = part;
    }
    if (id == null && podUid == null) {
      return null;
    }
    return new ContainerRef(runtime, id, podUid, podUid == null ? null : qos);
  }

  private static String runtimeOf(final String prefix) {
    return switch (prefix) {
      case "cri-containerd" -> "containerd";
      case "crio" -> "cri-o";
      case "libpod" -> "podman";
      case "nerdctl" -> "containerd";
      default -> "docker";
    };
  }
}
