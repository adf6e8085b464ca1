package dev.oomwatch.alertmanager;

import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.config.Settings;
import dev.oomwatch.metrics.MetricsConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The bridge's settings. Keys: {@code alertmanager.<name>}.
 *
 * @param urls every Alertmanager of the HA cluster; each alert goes to each, and it counts as
 *     delivered once one has accepted it (they gossip it to each other, as with Prometheus)
 * @param resend how often firing alerts are sent again: Alertmanager resolves an alert not re-sent
 *     before its {@code endsAt}, which is set {@link #ENDS_AT_RESENDS} resends ahead
 * @param retryMax the longest wait between two tries while no Alertmanager takes the alerts
 * @param pageUrl the timeline page, for each alert's {@code generatorURL}
 * @param username basic auth user (with {@code password}); or {@code bearerToken} / {@code bearerTokenFile}
 * @param caFile PEM certificates to trust for https Alertmanagers (the JDK's trust store otherwise)
 * @param insecureSkipVerify trust any certificate and name (a test cluster's self-signed one)
 */
public record AlertmanagerConfig(
    List<URI> urls,
    Duration resend,
    Duration retryMax,
    Duration timeout,
    String pageUrl,
    String username,
    String password,
    String bearerToken,
    Path bearerTokenFile,
    Path caFile,
    boolean insecureSkipVerify,
    String groupId,
    MetricsConfig metrics,
    KafkaSettings kafka,
    Map<String, String> extraLabels,
    String runbookUrl) {

  public static final String URLS = "alertmanager.urls";
  public static final String PAGE_URL = "alertmanager.page.url";
  /** Fixed labels on every alert, e.g. alertmanager.labels.cluster=prod-eu-1: one Alertmanager, many clusters. */
  public static final String LABELS_PREFIX = "alertmanager.labels.";
  /** Where docs/runbooks.md is served; each alert's runbook_url is it with the type's anchor. */
  public static final String RUNBOOK_URL = "alertmanager.runbook.url";
  static final java.util.Set<String> OWN_LABELS = java.util.Set.of("alertname", "severity", "host", "instance", "pod",
      "namespace", "container");
  /** endsAt is this many resend intervals ahead, as Prometheus sets it. */
  static final int ENDS_AT_RESENDS = 4;

  public static AlertmanagerConfig from(final Settings s) {
    final String token = s.get("alertmanager.bearer.token", null);
    final String tokenFile = s.get("alertmanager.bearer.token.file", null);
    final String ca = s.get("alertmanager.tls.ca.file", null);
    return new AlertmanagerConfig(
        s.getList(URLS).stream().map(AlertmanagerConfig::apiBase).toList(),
        s.getDuration("alertmanager.resend", Duration.ofMinutes(1)),
        s.getDuration("alertmanager.retry.max", Duration.ofSeconds(30)),
        s.getDuration("alertmanager.timeout", Duration.ofSeconds(10)),
        s.get(PAGE_URL, "http://127.0.0.1:7411/"),
        s.get("alertmanager.username", null),
        s.get("alertmanager.password", null),
        token,
        tokenFile == null ? null : Path.of(tokenFile),
        ca == null ? null : Path.of(ca),
        s.getBoolean("alertmanager.tls.insecure.skip.verify", false),
        s.get("alertmanager.group.id", "oomwatch-alertmanager"),
        MetricsConfig.from(s, "alertmanager", MetricsConfig.ALERTMANAGER_PORT),
        KafkaSettings.from(s),
        extraLabels(s),
        s.get(RUNBOOK_URL, null));
  }

  /** {@code alertmanager.labels.<name>=<value>}: Prometheus label names, none of oomwatch's own. */
  static Map<String, String> extraLabels(final Settings s) {
    final Map<String, String> labels = new java.util.TreeMap<>();
    s.asMap().forEach((key, value) -> {
      if (key.startsWith(LABELS_PREFIX) && key.length() > LABELS_PREFIX.length()) {
        // a label name holds no '.': where one is here it was an '_' of OOMWATCH_ALERTMANAGER_LABELS_TEAM_NAME
        final String name = key.substring(LABELS_PREFIX.length()).replace('.', '_');
        if (!name.matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
          throw new IllegalArgumentException(key + ": '" + name + "' is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)");
        }
        if (OWN_LABELS.contains(name)) {
          throw new IllegalArgumentException(key + ": '" + name + "' is a label oomwatch sets itself " + OWN_LABELS);
        }
        labels.put(name, value);
      }
    });
    return java.util.Collections.unmodifiableMap(labels);
  }

  /** What every alert carries besides its own labels and annotations. */
  AlertmanagerPayload.Extras extras() {
    return new AlertmanagerPayload.Extras(extraLabels, runbookUrl);
  }

  /** "http://am:9093" or "http://am:9093/prefix/" as given; the API lives under it. */
  static URI apiBase(final String url) {
    final String trimmed = url.trim();
    final URI uri = URI.create(trimmed.endsWith("/") ? trimmed : trimmed + "/");
    if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
      throw new IllegalArgumentException("not an http(s) Alertmanager address: " + url);
    }
    return uri;
  }

  /** The address without credentials, for logs. */
  static String printable(final URI uri) {
    return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + uri.getPath();
  }

  public Duration endsAtAhead() {
    return resend.multipliedBy(ENDS_AT_RESENDS);
  }
}
