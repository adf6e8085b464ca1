package dev.oomwatch.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Debian's real {@code prometheus}, scraping the given targets every second. */
public final class PrometheusServer extends ServerBinary {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  private PrometheusServer(final Path dir) {
    super(find("prometheus"), dir);
  }

  public static boolean available() {
    return find("prometheus") != null;
  }

  /**
   * Scrapes each {@code host:port} at 1 s with {@code honor_labels}: the host and instance labels
   * oomwatch exports are the Redis instance's, not the scrape target's.
   */
  public static PrometheusServer start(final Path dir, final List<String> targets) {
    final PrometheusServer server = new PrometheusServer(dir);
    final StringBuilder config = new StringBuilder("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        + "scrape_configs:\n  - job_name: oomwatch\n    honor_labels: true\n    static_configs:\n      - targets: [");
    for (int i = 0; i < targets.size(); i++) {
      config.append(i == 0 ? "" : ", ").append('\'').append(targets.get(i)).append('\'');
    }
    config.append("]\n");
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("prometheus.yml"), config);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.start();
    return server;
  }

  @Override
  List<String> arguments() {
    return List.of("--config.file=" + dir.resolve("prometheus.yml"), "--storage.tsdb.path=" + dir.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port);
  }

  /** An instant PromQL query: its result array (status error throws, with Prometheus's message). */
  public JsonNode query(final String promql) {
    try {
      final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url() + "/api/v1/query?query="
          + URLEncoder.encode(promql, StandardCharsets.UTF_8))).GET().build(), HttpResponse.BodyHandlers.ofString());
      final JsonNode body = JSON.readTree(response.body());
      if (!"success".equals(body.path("status").asText())) {
        throw new IllegalArgumentException("PromQL " + promql + ": " + response.body());
      }
      return body.path("data").path("result");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
