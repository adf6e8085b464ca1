package dev.oomwatch.alertmanager;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.oomwatch.config.Settings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bearer token file rotated under the bridge (a projected service-account token): the next post
 * carries the new token. The receiver stands for the authenticating proxy in front of an
 * Alertmanager, which has no bearer auth of its own: it answers 200 to the current token and 401
 * to any other, as such a proxy does.
 */
class RotatedTokenTest {
  @TempDir Path dir;

  @Test
  void theTokenIsReadAgainBeforeEveryPostAndTheLastOneIsKeptWhenTheFileIsMissing() throws Exception {
    final Path token = dir.resolve("token");
    Files.writeString(token, "first-token\n");
    final List<String> seen = new CopyOnWriteArrayList<>();
    final String[] valid = {"Bearer first-token"};
    final HttpServer proxy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    proxy.createContext("/", exchange -> {
      final String auth = exchange.getRequestHeaders().getFirst("Authorization");
      seen.add(auth);
      exchange.getRequestBody().readAllBytes();
      exchange.sendResponseHeaders(valid[0].equals(auth) ? 200 : 401, -1);
      exchange.close();
    });
    proxy.start();
    try {
      final AlertmanagerClient client = new AlertmanagerClient(AlertmanagerConfig.from(Settings.of(Map.of(
          AlertmanagerConfig.URLS, "http://127.0.0.1:" + proxy.getAddress().getPort() + "/",
          "alertmanager.bearer.token.file", token.toString()))));
      assertThat(client.post("[]").accepted()).isEqualTo(1);

      valid[0] = "Bearer second-token";
      Files.writeString(dir.resolve("token.new"), "second-token\n");
      Files.move(dir.resolve("token.new"), token, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      assertThat(client.post("[]").accepted()).as("the rotated token, at the next post").isEqualTo(1);

      Files.delete(token);
      assertThat(client.post("[]").accepted()).as("a missing file keeps the last token").isEqualTo(1);
      assertThat(seen).containsExactly("Bearer first-token", "Bearer second-token", "Bearer second-token");
    } finally {
      proxy.stop(0);
    }
  }
}
