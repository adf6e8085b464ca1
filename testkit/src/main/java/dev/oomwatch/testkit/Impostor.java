package dev.oomwatch.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A process that calls itself redis-server and is not: perl, run from a copy of its binary named
 * {@code redis-server} (so its {@code comm} is that, as {@code prctl(PR_SET_NAME)} would make it),
 * answering enough RESP to be sampled and writing down every command it receives. What a hostile
 * container on the node would run to collect credentials.
 */
public final class Impostor {
  private final Path dir;
  private final String name;
  private final boolean systemOwned;
  private int port = -1;

  public Impostor(final Path dir) {
    this(dir, "redis-server", true);
  }

  /**
   * One whose binary is called {@code name}; unless {@code systemOwned}, a file its group may write,
   * as a user's own copy would be (the copy is root's here, as the tests run as root).
   */
  public Impostor(final Path dir, final String name, final boolean systemOwned) {
    this.dir = dir;
    this.name = name;
    this.systemOwned = systemOwned;
  }

  /** Empty when it can run here (perl with IO::Socket, which Debian's perl-base has). */
  public static java.util.Optional<String> unavailableReason() {
    try {
      final Process p = new ProcessBuilder("perl", "-MIO::Socket::INET", "-e", "1").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor() == 0 ? java.util.Optional.empty() : java.util.Optional.of("perl has no IO::Socket::INET");
    } catch (IOException e) {
      return java.util.Optional.of("no perl");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.Optional.of("interrupted");
    }
  }

  /** The command a pod runs it with, listening on {@code 0.0.0.0:port}. */
  public List<String> command(final int port) {
    return command("0.0.0.0", port, 1);
  }

  /** The same on {@code bind}, reporting and listing {@code clients} connected clients. */
  public List<String> command(final String bind, final int port, final int clients) {
    return command(bind, port, clients, "normal");
  }

  /**
   * The same, behaving as {@code mode} says: {@code normal}, {@code flood} (INFO answered with a
   * 2 GB reply that never ends), {@code silent} (nothing answered) or {@code drip} (INFO answered
   * a byte every 50 ms, never ending).
   */
  public List<String> command(final String bind, final int port, final int clients, final String mode) {
    try {
      Files.createDirectories(dir);
      final Path binary = dir.resolve(name);
      if (!Files.exists(binary)) {
        final String perl = ServerBinary.find("perl");
        if (perl == null) {
          throw new IllegalStateException("no perl on the PATH");
        }
        Files.copy(Path.of(perl), binary);
        Files.setPosixFilePermissions(binary, java.nio.file.attribute.PosixFilePermissions.fromString(
            systemOwned ? "rwxr-xr-x" : "rwxrwxr-x"));
      }
      final Path script = dir.resolve("impostor.pl");
      try (InputStream in = Impostor.class.getResourceAsStream("/testkit/impostor.pl")) {
        Files.write(script, in.readAllBytes());
      }
      return List.of(binary.toString(), script.toString(), String.valueOf(port), received().toString(),
          String.valueOf(clients), bind, mode);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Runs it on {@code 127.0.0.1} at a free port of its own, its output in {@code log}; returns
   * once it listens. The caller ends the process.
   */
  public Process startOnLoopback(final int clients, final String mode, final Path log) throws InterruptedException {
    final int port = dev.oomwatch.broker.EmbeddedKafka.freePort();
    final Process p;
    try {
      p = new ProcessBuilder(command("127.0.0.1", port, clients, mode)).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    final long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline && p.isAlive()) {
      try (java.net.Socket s = new java.net.Socket()) {
        s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
        this.port = port;
        return p;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    p.destroyForcibly();
    throw new IllegalStateException("the impostor did not listen on " + port + "; see " + log);
  }

  /** The port {@link #startOnLoopback} listens on. */
  public int port() {
    return port;
  }

  /** Where every command it received is written, one per line. */
  public Path received() {
    return dir.resolve("received.txt");
  }

  /** Everything it was sent so far. */
  public String receivedText() {
    try {
      return Files.exists(received()) ? Files.readString(received()) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
