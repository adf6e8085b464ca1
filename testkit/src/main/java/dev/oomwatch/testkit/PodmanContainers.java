package dev.oomwatch.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Real containers started by a real runtime: Debian's podman with runc, from an image of Debian's
 * own redis-server (a root filesystem made with mmdebstrap, kept between runs, imported once), each
 * in the network namespace, PID namespace and memory cgroup podman makes for it. This machine's
 * root lacks CAP_SYS_RESOURCE, so the containers.conf it writes sets no rlimits; crun refuses the
 * hybrid cgroup layout, so runc runs them. Every container is removed on close.
 */
public final class PodmanContainers implements AutoCloseable {
  public static final String IMAGE = "localhost/oomwatch-test-redis:bookworm";
  private static final Path CACHE = Path.of(System.getProperty("java.io.tmpdir"), "oomwatch-podman");

  /** A container podman runs: its id, its name and hostname, its host pid, address and memory cgroup. */
  public record Container(String id, String name, long hostPid, String address, long limitBytes, String cgroupPath) {
    public String uri() {
      return "redis://" + address + ":6379";
    }

    /** Its server is still the process it started with. */
    public boolean alive() {
      return ProcessHandle.of(hostPid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The kernel's count of OOM kills in its cgroup (v1's memory.oom_control). */
    public long oomKills() {
      return MemoryCgroup.statValue(MemoryCgroup.V1_ROOT.resolve(cgroupPath.substring(1)).resolve("memory.oom_control"),
          "oom_kill");
    }
  }

  private final Path conf;
  private final List<Container> started = new ArrayList<>();

  private PodmanContainers(final Path conf) {
    this.conf = conf;
  }

  /** Empty when podman and mmdebstrap are here and this runs as root. */
  public static Optional<String> unavailableReason() {
    if (ServerBinary.find("podman") == null) {
      return Optional.of("no podman (apt-get install podman catatonit)");
    }
    if (ServerBinary.find("mmdebstrap") == null) {
      return Optional.of("no mmdebstrap (apt-get install mmdebstrap)");
    }
    if (!"root".equals(System.getProperty("user.name"))) {
      return Optional.of("podman's containers here need root");
    }
    return Optional.empty();
  }

  /** Makes the image if it is not there yet (about 20 s the first time on a machine). */
  public static PodmanContainers create() {
    try {
      Files.createDirectories(CACHE);
      final Path conf = CACHE.resolve("containers.conf");
      Files.writeString(conf, "[containers]\ndefault_ulimits = []\n[engine]\nruntime = \"runc\"\n");
      final PodmanContainers podman = new PodmanContainers(conf);
      if (podman.run(List.of("podman", "image", "exists", IMAGE)) != 0) {
        final Path rootfs = CACHE.resolve("redis-bookworm.tar");
        if (!Files.isRegularFile(rootfs)) {
          final Path partial = CACHE.resolve("redis-bookworm-partial.tar");
          podman.must(List.of("mmdebstrap", "--variant=essential", "--include=redis-server", "bookworm",
              partial.toString()), 600);
          Files.move(partial, rootfs, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        podman.must(List.of("podman", "import", rootfs.toString(), IMAGE), 300);
      }
      return podman;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts redis-server in a container named {@code name} with {@code limitMb} of memory; returns once it listens. */
  public Container redis(final String name, final long limitMb, final String... redisArgs) {
    final List<String> command = new ArrayList<>(List.of("podman", "run", "-d", "--name", name, "--hostname", name,
        "--memory", limitMb + "m", IMAGE, "/usr/bin/redis-server", "--bind", "0.0.0.0", "--protected-mode", "no",
        "--save", ""));
    command.addAll(List.of(redisArgs));
    final String id = output(command).strip();
    final long pid = Long.parseLong(output(List.of("podman", "inspect", "-f", "{{.State.Pid}}", id)).strip());
    final String address = output(List.of("podman", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", id)).strip();
    final Container c = new Container(id, name, pid, address, limitMb * 1024 * 1024, memoryCgroup(pid));
    started.add(c);
    final long deadline = System.currentTimeMillis() + 60_000;
    while (true) {
      try (java.net.Socket s = new java.net.Socket()) {
        s.connect(new java.net.InetSocketAddress(address, 6379), 500);
        return c;
      } catch (IOException e) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("container " + name + " did not listen on " + address + ":6379: "
              + output(List.of("podman", "logs", id)));
        }
        LocalRedis.sleep(100);
      }
    }
  }

  /** The process's memory cgroup path, as /proc/PID/cgroup says it (v1's memory line, else v2's). */
  private static String memoryCgroup(final long pid) {
    try {
      String v2 = null;
      for (final String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "cgroup"))) {
        final String[] parts = line.split(":", 3);
        if (parts.length == 3 && parts[1].equals("memory")) {
          return parts[2];
        }
        if (parts.length == 3 && parts[0].equals("0")) {
          v2 = parts[2];
        }
      }
      return v2;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    for (final Container c : started) {
      run(List.of("podman", "rm", "-f", "-t", "0", c.id()));
    }
  }

  private String output(final List<String> command) {
    try {
      final Process p = builder(command).redirectErrorStream(true).start();
      final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void must(final List<String> command, final int seconds) {
    try {
      final Process p = builder(command).redirectErrorStream(true).start();
      final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(seconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private int run(final List<String> command) {
    try {
      final Process p = builder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(120, TimeUnit.SECONDS) ? p.exitValue() : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private ProcessBuilder builder(final List<String> command) {
    final ProcessBuilder b = new ProcessBuilder(command);
    b.environment().put("CONTAINERS_CONF", conf.toString());
    return b;
  }
}
