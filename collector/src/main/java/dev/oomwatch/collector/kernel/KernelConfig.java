package dev.oomwatch.collector.kernel;

import dev.oomwatch.collector.container.ContainerNamer;
import dev.oomwatch.collector.container.StorageNames;
import dev.oomwatch.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The kernel side of the collector's configuration. */
public record KernelConfig(
    boolean enabled,
    KernelPaths paths,
    Path kmsg,
    boolean kmsgFromBoot,
    boolean inferKills,
    Set<String> processNames,
    boolean readSmaps,
    Duration forkWatch,
    List<String> runtimeBundles,
    Duration kmsgReplay,
    List<String> runtimeContainerLists) {

  public static final String ENABLED = "kernel.enabled";
  public static final String PROC = "kernel.proc.root";
  public static final String SYS = "kernel.sys.root";
  public static final String CGROUP = "kernel.cgroup.root";
  public static final String KMSG = "kernel.kmsg.path";
  public static final String KMSG_FROM_BOOT = "kernel.kmsg.from.boot";
  public static final String KMSG_REPLAY = "kernel.kmsg.replay";
  public static final String INFER = "kernel.infer.kills";
  public static final String NAMES = "kernel.process.names";
  public static final String SMAPS = "kernel.smaps";
  public static final String FORK_WATCH = "kernel.fork.watch";
  /** Where container runtimes keep a bundle's config.json, {id} for the container id. */
  public static final String RUNTIME_BUNDLES = "kernel.runtime.bundles";
  /** containers/storage's containers.json files (podman, CRI-O): container names by id. */
  public static final String RUNTIME_CONTAINERS = "kernel.runtime.containers";

  public static KernelConfig from(final Settings settings) {
    final Set<String> names = new LinkedHashSet<>(settings.getList(NAMES));
    if (names.isEmpty()) {
      names.addAll(Set.of("redis-server", "valkey-server"));
    }
    return new KernelConfig(
        settings.getBoolean(ENABLED, true),
        KernelPaths.of(Path.of(settings.get(PROC, "/proc")), Path.of(settings.get(SYS, "/sys")),
            Path.of(settings.get(CGROUP, "/sys/fs/cgroup"))),
        Path.of(settings.get(KMSG, "/dev/kmsg")),
        settings.getBoolean(KMSG_FROM_BOOT, false),
        // auto: infer kills from counters only where the kernel log cannot be read
        settings.getBoolean(INFER, false),
        names,
        // smaps_rollup costs ~1 ms per process on a large heap; cheap enough at 1 Hz for a handful.
        settings.getBoolean(SMAPS, true),
        // 50 ms: a new fork child is noticed within 100 ms, as a 2 s fork needs.
        settings.getDuration(FORK_WATCH, Duration.ofMillis(50)),
        // containerd's and CRI-O's state folders, as the kubelet's runtimes lay them out
        settings.getList(RUNTIME_BUNDLES).isEmpty() ? ContainerNamer.DEFAULT_BUNDLES : settings.getList(RUNTIME_BUNDLES),
        // 5 min: a kill while the collector starts, restarts or is rolled out is still published
        settings.getDuration(KMSG_REPLAY, Duration.ofMinutes(5)),
        settings.getList(RUNTIME_CONTAINERS).isEmpty() ? StorageNames.DEFAULT_FILES : settings.getList(RUNTIME_CONTAINERS));
  }

  /** Names containers from the configured runtime folders and the host's /proc. */
  public ContainerNamer namer() {
    return new ContainerNamer(paths.proc(), runtimeBundles, runtimeContainerLists);
  }
}
