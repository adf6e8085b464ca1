package dev.oomwatch.alertmanager;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Posts alerts to every Alertmanager of a cluster ({@code POST /api/v2/alerts}) over the JDK's HTTP
 * client, with basic auth or a bearer token, and TLS trusting the given CA. Says who accepted,
 * who refused the alerts themselves (4xx: sending them again would not help) and who could not be
 * reached or failed (5xx, I/O: worth another try). Credentials never leave the request headers.
 */
final class AlertmanagerClient {
  /**
   * What one post came to, per Alertmanager: how many accepted, what the others answered, and the
   * addresses of those worth another try.
   */
  record Outcome(int accepted, List<String> rejected, List<String> failed, List<String> failedAlertmanagers) {
    boolean delivered() {
      return accepted > 0;
    }

    /** Every Alertmanager answered, and refused them: retrying the same alerts would not help. */
    boolean refused() {
      return accepted == 0 && failed.isEmpty() && !rejected.isEmpty();
    }
  }

  private final AlertmanagerConfig config;
  private final HttpClient http;
  /** Fixed credentials (basic auth, a token given as text); null where a token file is read. */
  private final String authorization;
  /** The last token read from {@code bearer.token.file}: reread before every post, kept when a read fails. */
  private String fileToken;
  private String fileTokenFailure;

  AlertmanagerClient(final AlertmanagerConfig config) {
    this.config = config;
    final HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(config.timeout());
    if (config.caFile() != null || config.insecureSkipVerify()) {
      builder.sslContext(sslContext(config));
    }
    this.http = builder.build();
    this.authorization = authorization(config);
    if (config.bearerTokenFile() != null) {
      fileToken = readTokenFile().orElseThrow(() -> new IllegalArgumentException(
          "cannot read alertmanager.bearer.token.file " + config.bearerTokenFile() + ": " + fileTokenFailure));
    }
  }

  /**
   * A token file is rotated under the process (a projected service-account token, a secret
   * remounted): it is read again before every post, so a rotated token is used at once instead of
   * 401s for ever. A read that fails (mid-rotation) keeps the last token, and is said once.
   */
  private synchronized String currentAuthorization() {
    if (config.bearerTokenFile() == null) {
      return authorization;
    }
    readTokenFile().ifPresent(t -> fileToken = t);
    return "Bearer " + fileToken;
  }

  private java.util.Optional<String> readTokenFile() {
    try {
      final String token = Files.readString(config.bearerTokenFile()).trim();
      if (token.isEmpty()) {
        throw new IOException("empty");
      }
      fileTokenFailure = null;
      return java.util.Optional.of(token);
    } catch (IOException | RuntimeException e) {
      if (fileTokenFailure == null) {
        org.slf4j.LoggerFactory.getLogger(AlertmanagerClient.class).warn(
            "cannot read alertmanager.bearer.token.file {} ({}); the last token read is kept", config.bearerTokenFile(),
            e.getMessage());
      }
      fileTokenFailure = String.valueOf(e.getMessage());
      return java.util.Optional.empty();
    }
  }

  Outcome post(final String json) {
    int accepted = 0;
    final List<String> rejected = new ArrayList<>();
    final List<String> failed = new ArrayList<>();
    final List<String> failedAlertmanagers = new ArrayList<>();
    for (final URI base : config.urls()) {
      final String who = AlertmanagerConfig.printable(base);
      final HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("api/v2/alerts"))
          .timeout(config.timeout())
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
      final String auth = currentAuthorization();
      if (auth != null) {
        request.header("Authorization", auth);
      }
      try {
        final HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        final int code = response.statusCode();
        if (code / 100 == 2) {
          accepted++;
        } else if (code / 100 == 4 && !worthRetrying(code)) {
          rejected.add(who + " answered " + code + ": " + abbreviate(response.body()));
        } else {
          failed.add(who + " answered " + code + ": " + abbreviate(response.body()));
          failedAlertmanagers.add(who);
        }
      } catch (IOException e) {
        failed.add(who + ": " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
        failedAlertmanagers.add(who);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failed.add(who + ": interrupted");
        failedAlertmanagers.add(who);
        break;
      }
    }
    return new Outcome(accepted, rejected, failed, failedAlertmanagers);
  }

  /**
   * 4xx that are not about the alerts: wrong credentials or address (401, 403, 404), a timeout or a
   * rate limit (408, 429). Dropping alerts over a mistyped password would lose them; they are kept
   * and retried until the setting is fixed.
   */
  static boolean worthRetrying(final int code) {
    return code == 401 || code == 403 || code == 404 || code == 408 || code == 429;
  }

  private static String abbreviate(final String body) {
    final String line = body == null ? "" : body.replaceAll("\\s+", " ").trim();
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  private static String authorization(final AlertmanagerConfig config) {
    if (config.bearerTokenFile() != null) {
      return null;
    }
    if (config.bearerToken() != null) {
      return "Bearer " + config.bearerToken();
    }
    if (config.username() != null) {
      final String pair = config.username() + ":" + (config.password() == null ? "" : config.password());
      return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }
    return null;
  }

  private static SSLContext sslContext(final AlertmanagerConfig config) {
    try {
      final SSLContext context = SSLContext.getInstance("TLS");
      if (config.insecureSkipVerify()) {
        context.init(null, new TrustManager[] {new TrustingEveryone()}, new SecureRandom());
        return context;
      }
      final KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      try (InputStream in = Files.newInputStream(config.caFile())) {
        int i = 0;
        for (final Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          store.setCertificateEntry("ca-" + i++, cert);
        }
      }
      final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      context.init(null, trust.getTrustManagers(), new SecureRandom());
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot set up TLS for Alertmanager (alertmanager.tls.ca.file "
          + config.caFile() + "): " + e.getMessage(), e);
    }
  }

  /** alertmanager.tls.insecure.skip.verify: a test cluster's self-signed certificate. */
  private static final class TrustingEveryone implements X509TrustManager {
    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String authType) {}

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
