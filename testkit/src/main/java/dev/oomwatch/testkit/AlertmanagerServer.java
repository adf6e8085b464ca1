package dev.oomwatch.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Debian's real Alertmanager ({@code prometheus-alertmanager}), alone (no cluster), routing
 * everything to a receiver that sends nothing: the test reads what it holds from its API.
 */
public final class AlertmanagerServer extends ServerBinary {
  private HttpClient http = HttpClient.newHttpClient();
  private String authorization;

  /** Every alert to a receiver that sends nothing: the test reads what Alertmanager holds from its API. */
  private static final String ROUTE_TO_NOWHERE =
      "route:\n  receiver: 'nowhere'\n  group_wait: 1s\nreceivers:\n  - name: 'nowhere'\n";

  private boolean secured;

  private AlertmanagerServer(final Path dir) {
    super(find("prometheus-alertmanager", "alertmanager"), dir);
  }

  /**
   * Served over TLS (a certificate for 127.0.0.1 made here with openssl, its PEM at
   * {@code dir/server.crt}) and asking for basic auth: {@code user} with the password whose bcrypt
   * hash is {@code bcrypt}, as Alertmanager's web config takes it.
   */
  public static AlertmanagerServer startSecured(final Path dir, final String user, final String password,
      final String bcrypt) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    final Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        "-keyout", dir.resolve("server.key").toString(), "-out", dir.resolve("server.crt").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("openssl.log").toFile()).start();
    if (openssl.waitFor() != 0) {
      throw new IllegalStateException("openssl could not make a certificate: " + Files.readString(dir.resolve("openssl.log")));
    }
    Files.writeString(dir.resolve("web.yml"), "tls_server_config:\n  cert_file: " + dir.resolve("server.crt")
        + "\n  key_file: " + dir.resolve("server.key") + "\nbasic_auth_users:\n  " + user + ": '" + bcrypt + "'\n");
    final AlertmanagerServer server = new AlertmanagerServer(dir);
    server.secured = true;
    server.authorization = "Basic " + java.util.Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    server.http = HttpClient.newBuilder().sslContext(trusting(dir.resolve("server.crt"))).build();
    server.write("alertmanager.yml", ROUTE_TO_NOWHERE);
    server.start();
    return server;
  }

  private static javax.net.ssl.SSLContext trusting(final Path pem) throws IOException {
    try (java.io.InputStream in = Files.newInputStream(pem)) {
      final java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
      store.load(null, null);
      store.setCertificateEntry("am", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
      final javax.net.ssl.TrustManagerFactory tmf =
          javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      final javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  /** The PEM of its certificate (a secured server only). */
  public Path certificate() {
    return dir.resolve("server.crt");
  }

  public static boolean opensslAvailable() {
    return find("openssl") != null;
  }

  @Override
  public String url() {
    return (secured ? "https" : "http") + "://127.0.0.1:" + port;
  }

  @Override
  boolean ready() {
    if (!secured) {
      return super.ready();
    }
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public static boolean available() {
    return find("prometheus-alertmanager", "alertmanager") != null;
  }

  public static AlertmanagerServer start(final Path dir) {
    final AlertmanagerServer server = new AlertmanagerServer(dir);
    server.write("alertmanager.yml", ROUTE_TO_NOWHERE);
    server.start();
    return server;
  }

  @Override
  List<String> arguments() {
    final List<String> args = new java.util.ArrayList<>(List.of("--config.file=" + dir.resolve("alertmanager.yml"),
        "--storage.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address="));
    if (secured) {
      args.add("--web.config.file=" + dir.resolve("web.yml"));
    }
    return args;
  }

  /** {@code GET /api/v2/alerts}: the alerts it holds that have not ended. */
  public JsonNode alerts() {
    final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + "/api/v2/alerts")).GET();
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return getJson(http, request.build());
  }
}
