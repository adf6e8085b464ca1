package dev.oomwatch.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** Debian's real {@code prometheus}, scraping the given targets every second. */
public final class PrometheusServer extends ServerBinary {
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
    server.write("prometheus.yml", config);
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
    final JsonNode body = getJson(http, HttpRequest.newBuilder(URI.create(url() + "/api/v1/query?query="
        + URLEncoder.encode(promql, StandardCharsets.UTF_8))).GET().build());
    if (!"success".equals(body.path("status").asText())) {
      throw new IllegalArgumentException("PromQL " + promql + ": " + body);
    }
    return body.path("data").path("result");
  }
}
