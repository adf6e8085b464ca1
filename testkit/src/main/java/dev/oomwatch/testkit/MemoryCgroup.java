package dev.oomwatch.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A real cgroup v1 memory cgroup, created for one test and removed after it. Needs root and a
 * writable /sys/fs/cgroup/memory; {@link #unavailableReason()} says why not where it cannot run.
 */
public final class MemoryCgroup implements AutoCloseable {
  public static final Path V1_ROOT = Path.of("/sys/fs/cgroup/memory");

  private final Path dir;
  private final String name;

  private MemoryCgroup(final Path dir, final String name) {
    this.dir = dir;
    this.name = name;
  }

  /** Empty when cgroups can be created here; else the reason, for a skipped test's message. */
  public static Optional<String> unavailableReason() {
    if (!Files.isDirectory(V1_ROOT)) {
      return Optional.of("no cgroup v1 memory controller at " + V1_ROOT);
    }
    if (!"root".equals(System.getProperty("user.name"))) {
      return Optional.of("not root: cannot create memory cgroups");
    }
    if (!Files.isWritable(V1_ROOT)) {
      return Optional.of(V1_ROOT + " is not writable");
    }
    return Optional.empty();
  }

  public static MemoryCgroup create(final String name, final long limitBytes) {
    final String full = "oomwatch-test-" + name + "-" + ProcessHandle.current().pid();
    final Path dir = V1_ROOT.resolve(full);
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("memory.limit_in_bytes"), String.valueOf(limitBytes));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create memory cgroup " + dir, e);
    }
    return new MemoryCgroup(dir, "/" + full);
  }

  /** The path /proc/PID/cgroup and the kernel log name this cgroup by, e.g. /oomwatch-test-x-123. */
  public String path() {
    return name;
  }

  public Path procs() {
    return dir.resolve("cgroup.procs");
  }

  public long limit() {
    return readLong("memory.limit_in_bytes");
  }

  public long usage() {
    return readLong("memory.usage_in_bytes");
  }

  /** Anonymous memory charged to the cgroup (memory.stat rss): the data, not the page cache of its files. */
  public long anon() {
    return statValue(dir.resolve("memory.stat"), "rss");
  }

  /** The kernel's count of OOM kills in this cgroup (memory.oom_control oom_kill). */
  public long oomKills() {
    return statValue(dir.resolve("memory.oom_control"), "oom_kill");
  }

  private long readLong(final String file) {
    try {
      return Long.parseLong(Files.readString(dir.resolve(file)).trim());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      for (final String pid : Files.readAllLines(procs())) {
        if (!pid.isBlank()) {
          ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
      for (int i = 0; i < 50 && !Files.readString(procs()).isBlank(); i++) {
        LocalRedis.sleep(100);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // a cgroup that cannot be removed yet is left behind; the name is unique per test run
    }
  }

  /** One counter of a memory.stat or memory.oom_control file ("key value" lines); 0 when absent. */
  static long statValue(final Path memoryStat, final String key) {
    try {
      for (final String line : Files.readAllLines(memoryStat)) {
        if (line.startsWith(key + " ")) {
          return Long.parseLong(line.substring(key.length() + 1).trim());
        }
      }
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
