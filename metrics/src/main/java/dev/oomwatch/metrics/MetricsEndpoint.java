package dev.oomwatch.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One process's /metrics: its own registry (the processes {@code local} runs side by side in one
 * JVM each keep theirs) with the JVM's and the process's own figures, served in the Prometheus and
 * OpenMetrics text formats, whichever the scraper asks for.
 */
public final class MetricsEndpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

  private final PrometheusRegistry registry;
  private final HTTPServer server;
  private final String url;

  private MetricsEndpoint(final PrometheusRegistry registry, final HTTPServer server, final String url) {
    this.registry = registry;
    this.server = server;
    this.url = url;
  }

  /** A registry with the JVM's and the process's figures, for the process to add its own to. */
  public static PrometheusRegistry newRegistry() {
    final PrometheusRegistry registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry);
    return registry;
  }

  /**
   * Serves the registry. Metrics are a window on the process, not its work: a port that cannot be
   * bound is logged and the process runs on without one (the endpoint's {@link #url()} is empty).
   */
  public static MetricsEndpoint serve(final MetricsConfig config, final PrometheusRegistry registry) {
    return serve(config, registry, null);
  }

  /**
   * Serves the registry, and {@code health} (when given) at {@code /healthz}: 200 when it says
   * healthy, else 503, with its text either way.
   */
  public static MetricsEndpoint serve(final MetricsConfig config, final PrometheusRegistry registry,
      final java.util.function.Supplier<Health> health) {
    if (!config.enabled()) {
      return new MetricsEndpoint(registry, null, null);
    }
    HttpServerLimits.apply();
    try {
      final HTTPServer.Builder builder = HTTPServer.builder();
      if (config.token() != null) {
        builder.authenticator(bearer(config.token()));
      }
      final HTTPServer server = builder
          .hostname(config.bind())
          .port(config.port())
          .registry(registry)
          .defaultHandler(exchange -> {
            final boolean asked = health != null && exchange.getRequestURI().getPath().equals("/healthz");
            final Health h = asked ? health.get() : new Health(false, "not found: /metrics" + (health == null ? "" : ", /healthz"));
            final byte[] body = (h.text() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(asked ? (h.healthy() ? 200 : 503) : 404, body.length);
            try (java.io.OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          })
          .buildAndStart();
      final String host = config.bind().contains(":") ? "[" + config.bind() + "]" : config.bind();
      final String url = "http://" + host + ":" + server.getPort() + "/metrics";
      LOG.info("{} metrics at {}", config.component(), url);
      return new MetricsEndpoint(registry, server, url);
    } catch (IOException | RuntimeException e) {
      LOG.error("{}: no /metrics on {}:{}: {} (set {} or {}=false)", config.component(), config.bind(), config.port(),
          e.getMessage(), MetricsConfig.portKey(config.component()), MetricsConfig.ENABLED);
      return new MetricsEndpoint(registry, null, null);
    }
  }

  /**
   * {@code Authorization: Bearer <token>} for everything but {@code /healthz}, which a kubelet's
   * probe asks without it and which says only whether the loops run. Compared in constant time.
   */
  static com.sun.net.httpserver.Authenticator bearer(final String token) {
    final byte[] expected = ("Bearer " + token).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return new com.sun.net.httpserver.Authenticator() {
      @Override
      public Result authenticate(final com.sun.net.httpserver.HttpExchange exchange) {
        if (exchange.getRequestURI().getPath().equals("/healthz")) {
          return new Success(new com.sun.net.httpserver.HttpPrincipal("probe", "oomwatch"));
        }
        final String given = exchange.getRequestHeaders().getFirst("Authorization");
        if (given != null && java.security.MessageDigest.isEqual(
            given.getBytes(java.nio.charset.StandardCharsets.UTF_8), expected)) {
          return new Success(new com.sun.net.httpserver.HttpPrincipal("prometheus", "oomwatch"));
        }
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        return new Failure(401);
      }
    };
  }

  /** What {@code /healthz} answers. */
  public record Health(boolean healthy, String text) {}

  public PrometheusRegistry registry() {
    return registry;
  }

  /** The address of /metrics, when it is served. */
  public Optional<String> url() {
    return Optional.ofNullable(url);
  }

  /** The port it listens on (useful with port 0), or -1. */
  public int port() {
    return server == null ? -1 : server.getPort();
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }
}
