package dev.oomwatch.query;

import dev.oomwatch.config.Settings;
import java.time.Duration;
import java.util.Optional;

/**
 * The HTTP API and page of the streams-app. Keys: {@code http.<name>}.
 *
 * @param enabled serve at all
 * @param bind the address to listen on: loopback by default, because the API shows hosts,
 *     instances and memory figures of a fleet
 * @param port 0 picks a free port (tests, several apps on one machine)
 * @param advertisedHost how the other streams-app instances reach this one (Kafka Streams'
 *     {@code application.server}); the bind address unless that is a wildcard
 * @param token when set, every API call needs {@code Authorization: Bearer <token>}
 * @param remoteTimeout how long a call forwarded to the instance owning a key may take
 * @param retryAfter what a 503 tells the caller to wait while stores restore or rebalance
 * @param threads the server's threads; half of them (at least one) may wait on other instances at
 *     once, the rest are kept for requests that do not (the other instances' own)
 */
public record QueryConfig(
    boolean enabled,
    String bind,
    int port,
    String advertisedHost,
    Optional<String> token,
    Duration remoteTimeout,
    Duration retryAfter,
    int threads) {

  public QueryConfig {
    if (threads < 2) {
      throw new IllegalArgumentException("http.threads must be at least 2 (one for requests other instances send): " + threads);
    }
  }

  public static QueryConfig from(final Settings s) {
    final String bind = s.get("http.bind", "127.0.0.1");
    final boolean wildcard = bind.equals("0.0.0.0") || bind.equals("::");
    return new QueryConfig(
        s.getBoolean("http.enabled", true),
        bind,
        s.getInt("http.port", 7411),
        s.get("http.advertised.host", wildcard ? localHostName() : bind),
        s.get("http.token").filter(t -> !t.isBlank()),
        s.getDuration("http.remote.timeout", Duration.ofSeconds(5)),
        s.getDuration("http.retry.after", Duration.ofSeconds(2)),
        s.getInt("http.threads", 8));
  }

  /** How many requests may wait on other instances at once. */
  public int fanOutRequests() {
    return Math.max(1, threads / 2);
  }

  public boolean loopbackOnly() {
    return bind.equals("127.0.0.1") || bind.equals("localhost") || bind.equals("::1");
  }

  private static String localHostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "localhost";
    }
  }

  @Override
  public String toString() {
    // the token never reaches a log line
    return "QueryConfig[bind=" + bind + ", port=" + port + ", advertisedHost=" + advertisedHost
        + ", token=" + (token.isPresent() ? "[set]" : "[none]") + "]";
  }
}
