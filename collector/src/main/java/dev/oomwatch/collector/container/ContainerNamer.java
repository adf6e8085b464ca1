package dev.oomwatch.collector.container;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names a container from the host's own files, without the Kubernetes API: the runtime's bundle
 * {@code config.json} (containerd's task folder, CRI-O's userdata folder), which the container
 * cannot write, so its names are verified; else, as labels only, the process's {@code HOSTNAME}
 * from {@code /proc/PID/environ} and the container's {@code /etc/hostname} (read with
 * {@link ConfinedFile}: no symlink, no FIFO, no device, at most 65 bytes). Every name must be a
 * Kubernetes name ({@link KubeNames}); a text that is not is dropped and said once.
 * Names are cached by container id: they never change for a container's life.
 */
public final class ContainerNamer {
  private static final Logger LOG = LoggerFactory.getLogger(ContainerNamer.class);
  /** Where the runtimes keep a container's bundle, {id} standing for the container id. */
  public static final List<String> DEFAULT_BUNDLES = List.of(
      "/run/containerd/io.containerd.runtime.v2.task/k8s.io/{id}/config.json",
      "/run/containers/storage/overlay-containers/{id}/userdata/config.json",
      // ctr and nerdctl in containerd's default namespace
      "/run/containerd/io.containerd.runtime.v2.task/default/{id}/config.json");
  public static final String FROM_ENVIRONMENT = "HOSTNAME";
  public static final String FROM_HOSTNAME_FILE = "/etc/hostname";
  private static final int CACHE_LIMIT = 4_096;
  /** A bundle's config.json is a few tens of kB; more is not one. */
  private static final int BUNDLE_MAX_BYTES = 1 << 20;
  /** The environment is the kernel's copy, but its length is the process's choice. */
  private static final int ENVIRON_MAX_BYTES = 256 * 1024;
  /** A hostname is at most 64 bytes, and a line break. */
  private static final int HOSTNAME_MAX_BYTES = 65;

  private final Path proc;
  private final List<String> bundles;
  private final StorageNames storage;
  private final Map<String, PodNames> byContainer = lru();
  private final Map<String, Boolean> toldRefused = lru();
  private boolean toldUnconfined;
  /** Counts each refused read as "file: why" (the collector's read-error metric). */
  private java.util.function.Consumer<String> refusals = why -> { };

  public ContainerNamer(final Path proc, final List<String> bundles) {
    this(proc, bundles, List.of());
  }

  /** {@code storageFiles}: containers/storage's containers.json files (podman, CRI-O), read for names. */
  public ContainerNamer(final Path proc, final List<String> bundles, final List<String> storageFiles) {
    this.proc = proc;
    this.bundles = bundles;
    this.storage = new StorageNames(storageFiles.stream().map(Path::of).toList());
  }

  /** Where each refused read is counted, as "file: why". */
  public synchronized ContainerNamer countingRefusalsIn(final java.util.function.Consumer<String> counter) {
    this.refusals = counter;
    return this;
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
    if (!names.known()) {
      // podman's and CRI-O's list of their containers: a container name, or a pod's for CRI-O
      final PodNames stored = storage.names(ref.containerId());
      if (stored.known() || stored.containerName() != null) {
        names = stored;
      }
    }
    if (!names.known() && names.containerName() == null && ref.inPod()) {
      names = fromEnvironment(pid, ref);
    }
    if (!names.known() && names.containerName() == null && ref.inPod()) {
      names = fromHostnameFile(pid, ref);
    }
    if (ref.containerId() != null) {
      // none found is kept too: the runtime writes the bundle before the container starts
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
      if (Files.isRegularFile(file)) {
        try (InputStream in = Files.newInputStream(file)) {
          final PodNames names = RuntimeBundleAnnotations.parse(
              new String(in.readNBytes(BUNDLE_MAX_BYTES), StandardCharsets.UTF_8), file.toString());
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
   * The container's /etc/hostname, which the kubelet mounts with the pod's name: read inside the
   * process's root, where the container decides what that path is.
   */
  private PodNames fromHostnameFile(final long pid, final ContainerRef ref) {
    final ConfinedFile.Result read = ConfinedFile.read(proc.resolve(pid + "/root"), "etc/hostname", HOSTNAME_MAX_BYTES);
    if (read.text() == null) {
      if (ConfinedFile.unavailableReason() != null && !toldUnconfined) {
        toldUnconfined = true;
        LOG.warn("containers' /etc/hostname is not read on this host: {}. Pods without a runtime bundle "
            + "(kernel.runtime.bundles) are named by their pod uid only", ConfinedFile.unavailableReason());
      } else if (!"missing".equals(read.refused())) {
        // by kind, not by pid: pods come and go, the metric's series must not
        refusals.accept(proc.resolve("PID/root/etc/hostname") + ": " + read.refused());
        refusedOnce(ref, pid, "/etc/hostname: " + read.refused());
      }
      return PodNames.NONE;
    }
    return label(read.text().strip(), FROM_HOSTNAME_FILE, ref, pid);
  }

  /** HOSTNAME from the environment a process started with: the pod name, in Kubernetes. */
  private PodNames fromEnvironment(final long pid, final ContainerRef ref) {
    final String hostname = EnvironReader.variable(proc.resolve(pid + "/environ"), "HOSTNAME", ENVIRON_MAX_BYTES);
    return hostname == null ? PodNames.NONE : label(hostname, FROM_ENVIRONMENT, ref, pid);
  }

  private PodNames label(final String name, final String source, final ContainerRef ref, final long pid) {
    if (!KubeNames.podName(name)) {
      refusals.accept(source + ": not a Kubernetes name");
      refusedOnce(ref, pid, source + " is not a Kubernetes name (" + name.length() + " characters)");
      return PodNames.NONE;
    }
    return new PodNames(name, null, null, source, false);
  }

  /** The text itself is never repeated: it is the container's, and may be anything. */
  private void refusedOnce(final ContainerRef ref, final long pid, final String why) {
    final String key = ref.containerId() != null ? ref.containerId() : ref.podUid() + "/" + pid;
    if (toldRefused.put(key, Boolean.TRUE) == null) {
      LOG.warn("pod {} (host pid {}): its name was not taken from {}", ref.podUid(), pid, why);
    }
  }

  private static <V> Map<String, V> lru() {
    return new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(final Map.Entry<String, V> eldest) {
        return size() > CACHE_LIMIT;
      }
    };
  }
}
