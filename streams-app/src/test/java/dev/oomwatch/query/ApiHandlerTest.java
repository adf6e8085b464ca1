package dev.oomwatch.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.oomwatch.config.Settings;
import dev.oomwatch.history.HistoryConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The API's answer to a failure it did not foresee, over real HTTP: an id to quote, nothing of the failure. */
class ApiHandlerTest {
  @Test
  void anUnforeseenFailureAnswers500WithAnIdAndKeepsItsTextInTheLog() throws Exception {
    final ObjectMapper json = new ObjectMapper();
    final ApiHandler api = new ApiHandler(json, QueryConfig.from(Settings.of(Map.of())), HistoryConfig.defaults());
    api.attach(new ClusterQueries(null, null, null, null, json) {
      @Override
      Answer instances(final String pathAndQuery, final boolean localOnly) {
        throw new IllegalStateException("store oomwatch-instances of cache-secret-07.internal is closed");
      }
    });
    final HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    server.createContext("/api/", api);
    server.start();
    final ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ApiHandler.class);
    final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
        new ch.qos.logback.core.read.ListAppender<>();
    logs.start();
    logger.addAppender(logs);
    try {
      final HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api/instances")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(500);
      final String error = json.readTree(r.body()).path("error").asText();
      assertThat(error).matches("internal error \\d+; the streams-app's log says more");
      assertThat(r.body()).doesNotContain("cache-secret-07").doesNotContain("IllegalStateException")
          .doesNotContain("oomwatch-instances");
      final String id = error.replaceAll("\\D+", " ").trim().split(" ")[0];
      assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("(error " + id + ")")
          .contains("cache-secret-07.internal is closed"));
    } finally {
      logger.detachAppender(logs);
      server.stop(0);
    }
  }
}
