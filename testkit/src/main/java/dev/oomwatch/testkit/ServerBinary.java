package dev.oomwatch.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real server binary from the distribution (Prometheus, Alertmanager) run for a test on a
 * loopback port of its own, its output in its folder, stopped and started again on the same port.
 */
abstract class ServerBinary implements AutoCloseable {
  protected final Path dir;
  protected final int port;
  private final String binary;
  private Process process;

  ServerBinary(final String binary, final Path dir) {
    this.binary = binary;
    this.dir = dir;
    this.port = freePort();
  }

  /** The first of the names found on the PATH (or under /usr/bin), or null. */
  static String find(final String... names) {
    final List<Path> places = new ArrayList<>();
    for (final String p : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      places.add(Path.of(p));
    }
    places.add(Path.of("/usr/bin"));
    for (final String name : names) {
      for (final Path place : places) {
        final Path candidate = place.resolve(name);
        if (Files.isExecutable(candidate)) {
          return candidate.toString();
        }
      }
    }
    return null;
  }

  abstract List<String> arguments();

  /** Writes one of the server's files in its folder. */
  void write(final String file, final CharSequence text) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(file), text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A GET of its API, its body as JSON; anything but a 200 throws with the body. */
  static com.fasterxml.jackson.databind.JsonNode getJson(final java.net.http.HttpClient http,
      final java.net.http.HttpRequest request) {
    try {
      final java.net.http.HttpResponse<String> response =
          http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("GET " + request.uri().getPath() + " answered " + response.statusCode() + ": "
            + response.body());
      }
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public synchronized void start() {
    try {
      Files.createDirectories(dir);
      final List<String> command = new ArrayList<>();
      command.add(binary);
      command.addAll(arguments());
      process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("output.log").toFile())).start();
      final long deadline = System.currentTimeMillis() + 30_000;
      while (System.currentTimeMillis() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException(binary + " exited at start: " + Files.readString(dir.resolve("output.log")));
        }
        if (ready()) {
          return;
        }
        Thread.sleep(100);
      }
      throw new IllegalStateException(binary + " not ready within 30 s; see " + dir.resolve("output.log"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + binary, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Whether it answers; the default asks its /-/ready over plain HTTP. */
  boolean ready() {
    try {
      final HttpURLConnection c = (HttpURLConnection) URI.create(url() + "/-/ready").toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(500);
      return c.getResponseCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  public synchronized void stop() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    stop();
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
