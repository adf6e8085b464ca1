package dev.oomwatch.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Asks the streams-app instance that owns a key (its {@code application.server}) for its local
 * answer. Anything but a 200 from it is {@link NotReady}: the caller gets a 503, not a partial answer.
 */
final class RemoteQueries {
  static final String LOCAL_SCOPE = "scope=local";

  private final HttpClient client;
  private final ObjectMapper json;
  private final Optional<String> token;
  private final Duration timeout;

  RemoteQueries(final ObjectMapper json, final Optional<String> token, final Duration timeout) {
    this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
    this.json = json;
    this.token = token;
    this.timeout = timeout;
  }

  /** {@code pathAndQuery} without the scope, e.g. "/api/alerts?status=FIRING". */
  JsonNode get(final HostInfo owner, final String pathAndQuery) {
    final String sep = pathAndQuery.contains("?") ? "&" : "?";
    final URI uri = URI.create("http://" + owner.host() + ":" + owner.port() + pathAndQuery + sep + LOCAL_SCOPE);
    final HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).GET();
    token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
    try {
      final HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        throw new NotReady("instance " + owner.host() + ":" + owner.port() + " answered " + response.statusCode());
      }
      return json.readTree(response.body());
    } catch (IOException e) {
      throw new NotReady("instance " + owner.host() + ":" + owner.port() + " unreachable: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NotReady("interrupted while asking " + owner.host() + ":" + owner.port());
    }
  }
}
