package dev.oomwatch.metrics;

import dev.oomwatch.config.Settings;

/**
 * Where a process serves /metrics. {@code metrics.enabled} and {@code metrics.bind} are shared;
 * the port is each process's own ({@code collector.metrics.port}, {@code streams.metrics.port},
 * {@code archive.metrics.port}, {@code alertmanager.metrics.port}), so that {@code local}, which
 * runs them all in one JVM, serves each on its own port as they would be served apart.
 */
public record MetricsConfig(boolean enabled, String bind, int port, String component, String token) {
  public static final String ENABLED = "metrics.enabled";
  public static final String BIND = "metrics.bind";
  /** When set, /metrics answers only {@code Authorization: Bearer <token>} (Prometheus's {@code authorization}). */
  public static final String TOKEN = "metrics.token";

  public MetricsConfig(final boolean enabled, final String bind, final int port, final String component) {
    this(enabled, bind, port, component, null);
  }

  @Override
  public String toString() {
    return "MetricsConfig[enabled=" + enabled + ", bind=" + bind + ", port=" + port + ", component=" + component
        + ", token=" + (token == null ? "none" : "***") + "]";
  }

  public static final int COLLECTOR_PORT = 9471;
  public static final int STREAMS_PORT = 9472;
  public static final int ARCHIVE_PORT = 9473;
  public static final int ALERTMANAGER_PORT = 9474;

  /** {@code component}: collector, streams, archive or alertmanager; the prefix of its port's key. */
  public static MetricsConfig from(final Settings settings, final String component, final int defaultPort) {
    return new MetricsConfig(
        settings.getBoolean(ENABLED, true),
        // loopback unless told: a scrape from another host is a decision (the Kubernetes manifests
        // and docker-compose make it)
        settings.get(BIND, "127.0.0.1"),
        settings.getInt(portKey(component), defaultPort),
        component,
        settings.get(TOKEN).filter(t -> !t.isBlank()).orElse(null));
  }

  public static String portKey(final String component) {
    return component + ".metrics.port";
  }
}
