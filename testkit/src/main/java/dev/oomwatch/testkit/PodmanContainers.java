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
  private final String redisImage;
  /** What a Redis container runs before its arguments: nothing where the image's entrypoint is the server. */
  private final List<String> redisCommand;
  private final List<String> started = new ArrayList<>();

  private PodmanContainers(final Path conf, final String redisImage, final List<String> redisCommand) {
    this.conf = conf;
    this.redisImage = redisImage;
    this.redisCommand = redisCommand;
  }

  /**
   * With the images the build made (images/target/*.oci.tar, loaded into podman's storage from those
   * archives): their Redis for {@link #redis}, the others by name for {@link #run}. Empty with the
   * reason when the build made none (images/target/not-built.txt says why).
   */
  public static Optional<PodmanContainers> fromBuild(final Path imagesTarget, final String version) {
    final Path redis = imagesTarget.resolve("oomwatch-redis-" + version + ".oci.tar");
    if (!Files.isRegularFile(redis)) {
      return Optional.empty();
    }
    final Path conf = writeConf();
    final PodmanContainers podman = new PodmanContainers(conf, "localhost/oomwatch/redis:" + version, List.of());
    try (java.util.stream.Stream<Path> archives = Files.list(imagesTarget)) {
      for (final Path archive : archives.filter(f -> f.toString().endsWith(".oci.tar")).sorted().toList()) {
        podman.must(List.of("podman", "load", "-q", "-i", archive.toAbsolutePath().toString()), 300);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Optional.of(podman);
  }

  /** Why the build made no images, as it said (images/target/not-built.txt), or that it did not run. */
  public static String notBuiltReason(final Path imagesTarget) {
    try {
      final Path why = imagesTarget.resolve("not-built.txt");
      return Files.isRegularFile(why) ? Files.readString(why).strip()
          : "no images in " + imagesTarget + " (the images module builds them in package)";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path writeConf() {
    try {
      Files.createDirectories(CACHE);
      final Path conf = CACHE.resolve("containers.conf");
      Files.writeString(conf, "[containers]\ndefault_ulimits = []\n[engine]\nruntime = \"runc\"\n");
      return conf;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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

  /** Whether a command the container tests drive beside podman (docker-compose) is on the PATH. */
  public static boolean installed(final String command) {
    return ServerBinary.find(command) != null;
  }

  /** Makes the image if it is not there yet (about 20 s the first time on a machine). */
  public static PodmanContainers create() {
    try {
      final PodmanContainers podman = new PodmanContainers(writeConf(), IMAGE, List.of("/usr/bin/redis-server"));
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
        "--memory", limitMb + "m", redisImage));
    command.addAll(redisCommand);
    command.addAll(List.of("--bind", "0.0.0.0", "--protected-mode", "no", "--save", ""));
    command.addAll(List.of(redisArgs));
    final String id = output(command).strip();
    started.add(id);
    final long pid = Long.parseLong(output(List.of("podman", "inspect", "-f", "{{.State.Pid}}", id)).strip());
    final String address = output(List.of("podman", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", id)).strip();
    final Container c = new Container(id, name, pid, address, limitMb * 1024 * 1024, memoryCgroup(pid));
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

  /** {@code podman run -d --name <name> <args>}: the container's id; it is removed on close. */
  public String run(final String name, final List<String> args) {
    final List<String> command = new ArrayList<>(List.of("podman", "run", "-d", "--name", name));
    command.addAll(args);
    final String id = output(command).strip();
    started.add(id);
    return id;
  }

  /** {@code podman run --rm <args>} to its end: its exit code, a line break, what it printed. */
  public String runToEnd(final List<String> args, final int seconds) {
    final List<String> command = new ArrayList<>(List.of("podman", "run", "--rm"));
    command.addAll(args);
    return exec(command, seconds);
  }

  /**
   * Any command with podman's settings (its containers.conf) and {@code env} in its environment, to
   * its end: its exit code, a line break, what it printed.
   */
  public String execute(final List<String> command, final java.util.Map<String, String> env, final int seconds) {
    final ProcessBuilder b = builder(command);
    b.environment().putAll(env);
    return exec(b, seconds);
  }

  /** A long-running command with podman's settings (e.g. {@code podman system service}); the caller ends it. */
  public Process start(final List<String> command, final Path output) throws IOException {
    return builder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
  }

  /** {@code podman inspect -f <format> <id>}, stripped. */
  public String inspect(final String id, final String format) {
    return output(List.of("podman", "inspect", "-f", format, id)).strip();
  }

  /** What the container printed so far. */
  public String logs(final String id) {
    return exec(List.of("podman", "logs", id), 60);
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
    for (final String id : started) {
      run(List.of("podman", "rm", "-f", "-t", "0", id));
    }
  }

  /** Standard output only (podman's warnings on standard error are not its answer); fails on a non-zero exit. */
  private String output(final List<String> command) {
    final String[] result = execSplit(command, 120);
    if (!result[0].equals("0")) {
      throw new IllegalStateException(String.join(" ", command) + " failed (" + result[0] + "): " + result[1] + result[2]);
    }
    return result[1];
  }

  private void must(final List<String> command, final int seconds) {
    output(command, seconds);
  }

  private String output(final List<String> command, final int seconds) {
    final String[] result = execSplit(command, seconds);
    if (!result[0].equals("0")) {
      throw new IllegalStateException(String.join(" ", command) + " failed (" + result[0] + "): " + result[1] + result[2]);
    }
    return result[1];
  }

  private String exec(final List<String> command, final int seconds) {
    return exec(builder(command), seconds);
  }

  private String exec(final ProcessBuilder b, final int seconds) {
    final String[] result = execSplit(b, seconds);
    return result[0] + "\n" + result[1] + result[2];
  }

  /**
   * Exit code ("-1" when it did not end in time and was killed), standard output, standard error;
   * written to files while it runs, so that the time limit holds whatever it prints.
   */
  private String[] execSplit(final List<String> command, final int seconds) {
    return execSplit(builder(command), seconds);
  }

  private String[] execSplit(final ProcessBuilder b, final int seconds) {
    try {
      final Path out = Files.createTempFile("oomwatch-podman", ".out");
      final Path err = Files.createTempFile("oomwatch-podman", ".err");
      try {
        final Process p = b.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        final boolean ended = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!ended) {
          p.destroyForcibly().waitFor();
        }
        return new String[] {ended ? String.valueOf(p.exitValue()) : "-1",
            Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8)};
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
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
    // conmon, which podman leaves beside each container, writes a file "oom" into the folder it was
    // started in when its container is OOM-killed: not the checkout's
    b.directory(CACHE.toFile());
    return b;
  }
}
