package dev.oomwatch.collector.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Names a container from the host's own files, without the Kubernetes API: the runtime's bundle
 * {@code config.json} (containerd's task folder, CRI-O's userdata folder), else the process's
 * {@code HOSTNAME} from {@code /proc/PID/environ}, which Kubernetes sets to the pod's name, else the
 * container's {@code /etc/hostname} (the pod's name too).
 * Names are cached by container id: they never change for a container's life.
 */
public final class ContainerNamer {
  /** Where the runtimes keep a container's bundle, {id} standing for the container id. */
  public static final List<String> DEFAULT_BUNDLES = List.of(
      "/run/containerd/io.containerd.runtime.v2.task/k8s.io/{id}/config.json",
      "/run/containers/storage/overlay-containers/{id}/userdata/config.json");
  private static final int CACHE_LIMIT = 4_096;

  private final Path proc;
  private final List<String> bundles;
  private final Map<String, PodNames> byContainer = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(final Map.Entry<String, PodNames> eldest) {
      return size() > CACHE_LIMIT;
    }
  };

  public ContainerNamer(final Path proc, final List<String> bundles) {
    this.proc = proc;
    this.bundles = bundles;
  }

  public synchronized PodNames names(final long pid, final ContainerRef ref) {
    if (ref == null) {
      return PodNames.NONE;
    }
    if (ref.containerId() != null) {
      final PodNames cached = byContainer.get(ref.containerId());
      if (cached != null) {
        return cached;
      }
    }
    PodNames names = fromBundles(ref.containerId());
    if (!names.known() && ref.inPod()) {
      names = fromEnvironment(pid);
    }
    if (!names.known() && ref.inPod()) {
      names = fromHostnameFile(pid);
    }
    if (ref.containerId() != null && names.known()) {
      byContainer.put(ref.containerId(), names);
    }
    return names;
  }

  private PodNames fromBundles(final String id) {
    if (id == null) {
      return PodNames.NONE;
    }
    for (final String pattern : bundles) {
      final Path file = Path.of(pattern.replace("{id}", id));
      if (Files.isReadable(file)) {
        try {
          final PodNames names = RuntimeBundleAnnotations.parse(Files.readString(file), file.toString());
          if (names.known()) {
            return names;
          }
        } catch (IOException | RuntimeException e) {
          // gone between the check and the read, or not text: the next source is tried
        }
      }
    }
    return PodNames.NONE;
  }

  /**
   * The container's /etc/hostname, which the kubelet mounts with the pod's name: read through the
   * process's root. redis-server overwrites its environment with its title, so this is the fallback
   * that works for it.
   */
  private PodNames fromHostnameFile(final long pid) {
    try {
      final String name = Files.readString(proc.resolve(pid + "/root/etc/hostname")).trim();
      return name.isEmpty() || name.contains("\n") ? PodNames.NONE : new PodNames(name, null, null, "/etc/hostname");
    } catch (IOException | RuntimeException e) {
      return PodNames.NONE;
    }
  }

  /** HOSTNAME from the environment a process started with: the pod name, in Kubernetes. */
  private PodNames fromEnvironment(final long pid) {
    final String hostname = EnvironReader.variable(proc.resolve(pid + "/environ"), "HOSTNAME");
    return hostname == null ? PodNames.NONE : new PodNames(hostname, null, null, "HOSTNAME");
  }
}
