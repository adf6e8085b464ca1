package dev.oomwatch.alertmanager;

import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.config.Settings;
import dev.oomwatch.metrics.MetricsConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
    KafkaSettings kafka) {

  public static final String URLS = "alertmanager.urls";
  public static final String PAGE_URL = "alertmanager.page.url";
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
        KafkaSettings.from(s));
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
