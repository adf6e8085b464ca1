package dev.oomwatch.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Debian's real Alertmanager ({@code prometheus-alertmanager}), alone (no cluster), routing
 * everything to a receiver that sends nothing: the test reads what it holds from its API.
 */
public final class AlertmanagerServer extends ServerBinary {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  private AlertmanagerServer(final Path dir) {
    super(find("prometheus-alertmanager", "alertmanager"), dir);
  }

  public static boolean available() {
    return find("prometheus-alertmanager", "alertmanager") != null;
  }

  public static AlertmanagerServer start(final Path dir) {
    final AlertmanagerServer server = new AlertmanagerServer(dir);
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("alertmanager.yml"), "route:\n  receiver: 'nowhere'\n  group_wait: 1s\n"
          + "receivers:\n  - name: 'nowhere'\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.start();
    return server;
  }

  @Override
  List<String> arguments() {
    return List.of("--config.file=" + dir.resolve("alertmanager.yml"), "--storage.path=" + dir.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address=");
  }

  /** {@code GET /api/v2/alerts}: the alerts it holds that have not ended. */
  public JsonNode alerts() {
    try {
      final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url() + "/api/v2/alerts"))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
