package dev.oomwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.metrics.MetricsConfig;
import dev.oomwatch.metrics.MetricsEndpoint;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * /metrics behind {@code metrics.token} over real HTTP: refused without it or with a wrong one,
 * served with it; /healthz answered without it, as a kubelet's probe asks.
 */
class MetricsTokenTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void metricsNeedTheTokenAndHealthDoesNot() throws Exception {
    final MetricsConfig config = new MetricsConfig(true, "127.0.0.1", 0, "collector", "scrape-secret");
    assertThat(config.toString()).doesNotContain("scrape-secret");
    try (MetricsEndpoint endpoint = MetricsEndpoint.serve(config, MetricsEndpoint.newRegistry(),
        () -> new MetricsEndpoint.Health(true, "redis-sampling running"))) {
      final String base = "http://127.0.0.1:" + endpoint.port();
      assertThat(get(base + "/metrics", null).statusCode()).isEqualTo(401);
      assertThat(get(base + "/metrics", "Bearer not-it").statusCode()).isEqualTo(401);
      final HttpResponse<String> scraped = get(base + "/metrics", "Bearer scrape-secret");
      assertThat(scraped.statusCode()).isEqualTo(200);
      assertThat(scraped.body()).contains("jvm_");
      final HttpResponse<String> probe = get(base + "/healthz", null);
      assertThat(probe.statusCode()).isEqualTo(200);
      assertThat(probe.body()).contains("redis-sampling running");
    }
  }

  private HttpResponse<String> get(final String url, final String authorization) throws Exception {
    final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
