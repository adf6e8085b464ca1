package dev.oomwatch.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real redis-server process from this machine (Debian's package in CI), on a free port in its
 * own folder. Optionally started inside a memory cgroup, so the kernel charges it from its first
 * byte. Stop and start keep the port, as a restarted server would.
 */
public final class LocalRedis implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final List<String> extraArgs;
  private final Path cgroupProcs;
  private final String binary;
  private Process process;

  private LocalRedis(final Path dir, final int port, final List<String> extraArgs, final Path cgroupProcs,
      final String binary) {
    this.dir = dir;
    this.port = port;
    this.extraArgs = extraArgs;
    this.cgroupProcs = cgroupProcs;
    this.binary = binary;
  }

  /** Starts redis-server with {@code args} (e.g. "--save", ""), outside any cgroup of ours. */
  public static LocalRedis start(final Path dir, final String... args) {
    return start(dir, null, args);
  }

  /** Starts redis-server as a member of the cgroup whose {@code cgroup.procs} file is given. */
  public static LocalRedis start(final Path dir, final Path cgroupProcs, final String... args) {
    return startWith(binary(), dir, cgroupProcs, args);
  }

  /** Starts a given redis-server build (see {@link RedisBinaries}). */
  public static LocalRedis startWith(final String binary, final Path dir, final Path cgroupProcs, final String... args) {
    final LocalRedis redis = new LocalRedis(dir, dev.oomwatch.broker.EmbeddedKafka.freePort(), List.of(args),
        cgroupProcs, binary);
    redis.start();
    return redis;
  }

  /** The system's redis-server, else the Redis 6.2 build the testkit carries. */
  public static String binary() {
    final String preferred = RedisBinaries.preferred();
    return preferred == null ? "redis-server" : preferred;
  }

  /** The file {@link #binary()} runs: to copy it under another name. */
  public static java.nio.file.Path binaryFile() {
    final String command = binary();
    if (command.contains("/")) {
      return java.nio.file.Path.of(command);
    }
    final String found = ServerBinary.find(command);
    if (found == null) {
      throw new IllegalStateException(command + " is not on the PATH");
    }
    return java.nio.file.Path.of(found);
  }

  /** How many times {@code command} ran, from the text of {@code INFO commandstats}. */
  public static long calls(final String commandstats, final String command) {
    final java.util.regex.Matcher m = java.util.regex.Pattern.compile("cmdstat_" + java.util.regex.Pattern.quote(command)
        + ":calls=(\\d+)").matcher(commandstats);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  /** True when a redis-server binary can be run here. */
  public static boolean available() {
    return RedisBinaries.preferred() != null;
  }

  public synchronized void start() {
    try {
      Files.createDirectories(dir);
      final List<String> command = new ArrayList<>();
      if (cgroupProcs != null) {
        // Join the cgroup first, then become redis-server: every page is charged to the cgroup.
        command.addAll(List.of("sh", "-c", "echo $$ > '" + cgroupProcs + "' && exec \"$0\" \"$@\"", binary));
      } else {
        command.add(binary);
      }
      command.addAll(List.of("--port", String.valueOf(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
          "--daemonize", "no", "--logfile", dir.resolve("redis.log").toString()));
      command.addAll(extraArgs);
      process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(dir.resolve("stdout.log").toFile()).start();
      awaitListening();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + binary, e);
    }
  }

  private void awaitListening() {
    final long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      if (!process.isAlive()) {
        String log;
        try {
          final List<String> lines = Files.readAllLines(dir.resolve("redis.log"));
          log = String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
          log = "(no log)";
        }
        throw new IllegalStateException("redis-server exited at start; " + dir.resolve("redis.log") + " ends:\n" + log);
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        sleep(50);
      }
    }
    throw new IllegalStateException("redis-server did not listen on " + port + " within 60 s");
  }

  /** Kills the server at once (SIGKILL), as the OOM killer would. */
  public synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      waitFor();
    }
  }

  /** Stops the server politely (SIGTERM). */
  public synchronized void stop() {
    if (process != null) {
      process.destroy();
      waitFor();
    }
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  public synchronized long pid() {
    return process.pid();
  }

  private void waitFor() {
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public int port() {
    return port;
  }

  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  public Path dir() {
    return dir;
  }

  @Override
  public void close() {
    kill();
  }


  static void sleep(final long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
