package dev.oomwatch.collector.kernel;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the kernel's files are. In a container the host's /proc and /sys/fs/cgroup are mounted
 * elsewhere (e.g. /host/proc), so every root is configurable.
 */
public record KernelPaths(Path proc, Path sys, Path cgroupV1Memory, Path cgroupV2) {

  public static KernelPaths defaults() {
    return of(Path.of("/proc"), Path.of("/sys"), Path.of("/sys/fs/cgroup"));
  }

  /** v1's memory controller at {cgroup}/memory; v2 at {cgroup} itself or {cgroup}/unified (hybrid). */
  public static KernelPaths of(final Path proc, final Path sys, final Path cgroup) {
    final Path unified = cgroup.resolve("unified");
    final Path v2 = Files.exists(cgroup.resolve("cgroup.controllers")) ? cgroup
        : Files.isDirectory(unified) ? unified : cgroup;
    return new KernelPaths(proc, sys, cgroup.resolve("memory"), v2);
  }

  /**
   * The folder of a cgroup as /proc/PID/cgroup names it. Inside a container with its own cgroup
   * namespace the path is relative to a root mounted at the mount point itself, so when the full
   * path does not exist the mount root is the cgroup.
   */
  public Path cgroupDir(final CgroupRef ref) {
    final Path root = ref.version() == 1 ? cgroupV1Memory : cgroupV2;
    final Path full = root.resolve(ref.path().startsWith("/") ? ref.path().substring(1) : ref.path());
    return Files.isDirectory(full) ? full : root;
  }
}
