package dev.oomwatch.collector.container;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Container names from containers/storage's {@code overlay-containers/containers.json}, the list
 * podman and CRI-O keep of their containers (root's, mode 0600: a container cannot write it, so its
 * names are verified). Podman's are the names it was given ({@code podman run --name}, or
 * {@code <pod>-<container>} from {@code podman kube play}); CRI-O's are
 * {@code k8s_<container>_<pod>_<namespace>_<uid>_<attempt>}, read as the pod's names. Read again
 * when the file changes.
 */
public final class StorageNames {
  /** Where podman and CRI-O keep it, as root runs them. */
  public static final List<String> DEFAULT_FILES = List.of(
      "/var/lib/containers/storage/overlay-containers/containers.json");
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A few hundred bytes a container: 16 MB is tens of thousands of them. */
  private static final int MAX_BYTES = 16 << 20;
  private static final Pattern CRIO = Pattern.compile(
      "^k8s_(?<container>[^_]+)_(?<pod>[^_]+)_(?<namespace>[^_]+)_(?<uid>[^_]+)_\\d+$");

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StorageNames.class);

  private final List<Path> files;
  private final Map<Path, FileTime> readAt = new HashMap<>();
  /** Each file's containers as it last listed them: a container removed from it is forgotten. */
  private final Map<Path, Map<String, String>> byFile = new HashMap<>();

  public StorageNames(final List<Path> files) {
    this.files = files;
  }

  /** The names of a container, or {@link PodNames#NONE} when no file names it. */
  public synchronized PodNames names(final String containerId) {
    if (containerId == null) {
      return PodNames.NONE;
    }
    refresh();
    for (final Map<String, String> byId : byFile.values()) {
      final String name = byId.get(containerId);
      if (name != null) {
        return parse(name, "containers.json");
      }
    }
    return PodNames.NONE;
  }

  /** One name as the runtime gave it: CRI-O's Kubernetes form, else podman's own. */
  static PodNames parse(final String name, final String source) {
    if (name == null) {
      return PodNames.NONE;
    }
    final Matcher crio = CRIO.matcher(name);
    if (crio.matches() && KubeNames.podName(crio.group("pod"))) {
      return new PodNames(crio.group("pod"), KubeNames.label(crio.group("namespace")) ? crio.group("namespace") : null,
          KubeNames.label(crio.group("container")) ? crio.group("container") : null, source, true);
    }
    // podman's names are its own ([a-zA-Z0-9][a-zA-Z0-9_.-]*): kept when they are also DNS names
    final String lower = name.toLowerCase(java.util.Locale.ROOT);
    return KubeNames.podName(lower) ? new PodNames(null, null, lower, source, true) : PodNames.NONE;
  }

  private void refresh() {
    for (final Path file : files) {
      try {
        final FileTime modified = Files.getLastModifiedTime(file);
        if (modified.equals(readAt.get(file))) {
          continue;
        }
        try (InputStream in = Files.newInputStream(file)) {
          final byte[] text = in.readNBytes(MAX_BYTES + 1);
          if (text.length > MAX_BYTES) {
            // not read again until it changes, and said each time it does
            readAt.put(file, modified);
            byFile.remove(file);
            LOG.warn("{} is over {} MB: its containers are not named from it", file, MAX_BYTES >> 20);
            continue;
          }
          final JsonNode list = JSON.readTree(text);
          final Map<String, String> byId = new HashMap<>();
          for (final JsonNode c : list) {
            final JsonNode names = c.path("names");
            if (c.hasNonNull("id") && names.isArray() && !names.isEmpty()) {
              byId.put(c.get("id").asText(), names.get(0).asText());
            }
          }
          readAt.put(file, modified);
          byFile.put(file, byId);
        }
      } catch (IOException | RuntimeException e) {
        // absent (no podman or CRI-O here), unreadable, or mid-write: the next look tries again
      }
    }
  }
}
