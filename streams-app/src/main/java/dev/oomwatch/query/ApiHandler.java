package dev.oomwatch.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.oomwatch.history.HistoryConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-only JSON API: {@code /api/alerts}, {@code /api/instances}, {@code /api/sizing},
 * {@code /api/instances/{instance}/timeline} and {@code /api/incidents}. Every request is a GET;
 * with a token configured every request carries it; a request answered from another instance's
 * stores says so in {@code X-Oomwatch-Served-By}.
 */
final class ApiHandler implements HttpHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
  private static final Pattern TIMELINE = Pattern.compile("^/api/instances/([^/]+)/timeline/?$");

  private final ObjectMapper json;
  private final Optional<String> token;
  private final long retryAfterSeconds;
  private final HistoryConfig history;
  private volatile ClusterQueries queries;
  /**
   * Requests that may ask other instances hold one of these while they wait for them. Fewer than
   * the server's threads, so that the other instances' own {@code scope=local} requests, which
   * never ask further, always find a thread: two replicas each asked for the whole fleet by many
   * clients at once would otherwise hold all their threads waiting on each other.
   */
  private final java.util.concurrent.Semaphore fanOut;
  private final java.util.concurrent.atomic.LongAdder busy = new java.util.concurrent.atomic.LongAdder();

  private static final java.util.concurrent.atomic.AtomicLong FAILURES = new java.util.concurrent.atomic.AtomicLong();

  ApiHandler(final ObjectMapper json, final QueryConfig config, final HistoryConfig history) {
    this.json = json;
    this.token = config.token();
    this.retryAfterSeconds = Math.max(1, config.retryAfter().toSeconds());
    this.history = history;
    this.fanOut = new java.util.concurrent.Semaphore(config.fanOutRequests());
  }

  /** Requests refused with a 503 because as many as may were already waiting on other instances. */
  long busyRefusals() {
    return busy.sum();
  }

  /** Until the streams-app is attached every call is a 503: the server listens before Kafka Streams starts. */
  void attach(final ClusterQueries queries) {
    this.queries = queries;
  }

  @Override
  public void handle(final HttpExchange exchange) throws IOException {
    // not try-with-resources: the exchange must still be open when a catch block answers
    try {
      if (!authorized(exchange)) {
        exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer");
        send(exchange, 401, error("a bearer token is required"));
        return;
      }
      if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().add("Allow", "GET");
        send(exchange, 405, error("read-only API: GET only"));
        return;
      }
      final ClusterQueries q = queries;
      if (q == null) {
        throw new NotReady("the streams-app is starting");
      }
      final boolean localOnly = "local".equals(params(exchange.getRequestURI().getRawQuery()).get("scope"));
      if (!localOnly && !fanOut.tryAcquire()) {
        busy.increment();
        throw new NotReady("busy: as many requests as may ask the other instances are doing so; retry");
      }
      final ClusterQueries.Answer answer;
      try {
        answer = route(q, exchange);
      } finally {
        if (!localOnly) {
          fanOut.release();
        }
      }
      if (answer == null) {
        send(exchange, 404, error("no such resource: " + exchange.getRequestURI().getPath()));
        return;
      }
      exchange.getResponseHeaders().add("X-Oomwatch-Served-By", answer.servedBy().host() + ":" + answer.servedBy().port());
      nextPage(exchange, answer.body()).ifPresent(next -> exchange.getResponseHeaders().add("Link", next));
      send(exchange, 200, answer.body());
    } catch (NotReady e) {
      exchange.getResponseHeaders().add("Retry-After", String.valueOf(retryAfterSeconds));
      send(exchange, 503, error(e.getMessage()));
    } catch (IllegalArgumentException e) {
      send(exchange, 400, error(e.getMessage()));
    } catch (RuntimeException e) {
      // the exception stays in the log: its text may name hosts, stores and classes
      final long id = FAILURES.incrementAndGet();
      LOG.warn("API {} failed (error {}): {}", exchange.getRequestURI().getPath(), id, e.toString(), e);
      send(exchange, 500, error("internal error " + id + "; the streams-app's log says more"));
    } finally {
      exchange.close();
    }
  }

  private ClusterQueries.Answer route(final ClusterQueries q, final HttpExchange exchange) {
    final String path = exchange.getRequestURI().getPath();
    final String rawQuery = exchange.getRequestURI().getRawQuery();
    final Map<String, String> params = params(rawQuery);
    final boolean localOnly = "local".equals(params.get("scope"));
    final String forward = path + (rawQuery == null ? "" : "?" + rawQuery);
    final long now = System.currentTimeMillis();
    if (path.equals("/api/alerts") || path.equals("/api/alerts/")) {
      return q.alerts(AlertFilter.of(params.get("status"), params.get("host"), params.get("type")), forward, localOnly);
    }
    if (path.equals("/api/instances") || path.equals("/api/instances/")) {
      return q.instances(forward, localOnly);
    }
    if (path.equals("/api/sizing") || path.equals("/api/sizing/")) {
      return q.sizing(forward, localOnly);
    }
    if (path.equals("/api/incidents") || path.equals("/api/incidents/")) {
      final long to = time(params.get("to"), now);
      final long from = time(params.get("from"), now - history.retention().toMillis());
      // seven minutes of full resolution each: only on request, and then a page of 20 at most
      final boolean snapshots = "true".equalsIgnoreCase(params.get("snapshots"));
      final int limit = count(params.get("limit"), 50, snapshots ? 20 : 500);
      return q.incidents(from, to, limit, snapshots, forward, localOnly);
    }
    final Matcher m = TIMELINE.matcher(path);
    if (m.matches()) {
      final String instance = URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
      final long to = time(params.get("to"), now);
      final long from = time(params.get("from"), to - history.defaultSpan().toMillis());
      if (from > to) {
        throw new IllegalArgumentException("from is after to");
      }
      final String host = params.containsKey("host") ? params.get("host") : hostOf(q, instance);
      return q.timeline(host, instance, from, to, withHost(forward, params, host), localOnly);
    }
    return null;
  }

  /**
   * A full page of incidents links to the next, older one (RFC 8288 {@code rel="next"}): the same
   * query up to just before its oldest kill. A page holds every kill of its oldest millisecond,
   * so nothing falls between two pages.
   */
  private static Optional<String> nextPage(final HttpExchange exchange, final JsonNode body) {
    final String path = exchange.getRequestURI().getPath();
    if (!(path.equals("/api/incidents") || path.equals("/api/incidents/")) || !body.isArray() || body.isEmpty()) {
      return Optional.empty();
    }
    final Map<String, String> params = params(exchange.getRequestURI().getRawQuery());
    if ("local".equals(params.get("scope"))) {
      return Optional.empty();
    }
    final boolean snapshots = "true".equalsIgnoreCase(params.get("snapshots"));
    final int limit = count(params.get("limit"), 50, snapshots ? 20 : 500);
    if (body.size() < limit) {
      return Optional.empty();
    }
    final long oldest = body.get(body.size() - 1).path("timestampMs").asLong();
    params.put("to", String.valueOf(oldest - 1));
    final StringBuilder next = new StringBuilder("/api/incidents?");
    params.forEach((k, v) -> next.append(java.net.URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
        .append(java.net.URLEncoder.encode(v, StandardCharsets.UTF_8)).append('&'));
    next.setLength(next.length() - 1);
    return Optional.of("<" + next + ">; rel=\"next\"");
  }

  /** An instance id names one instance on one host, usually; when it names several the caller must say which. */
  private String hostOf(final ClusterQueries q, final String instance) {
    final List<String> hosts = new java.util.ArrayList<>();
    q.instances("/api/instances", false).body().forEach(node -> {
      if (instance.equals(node.path("instance").asText())) {
        hosts.add(node.path("host").asText());
      }
    });
    if (hosts.isEmpty()) {
      throw new IllegalArgumentException("unknown instance " + instance);
    }
    if (hosts.size() > 1) {
      throw new IllegalArgumentException("instance " + instance + " exists on several hosts " + hosts + ": add ?host=");
    }
    return hosts.get(0);
  }

  private static String withHost(final String forward, final Map<String, String> params, final String host) {
    if (params.containsKey("host")) {
      return forward;
    }
    return forward + (forward.contains("?") ? "&" : "?") + "host=" + java.net.URLEncoder.encode(host, StandardCharsets.UTF_8);
  }

  /** A count between 1 and {@code max}, {@code fallback} when not given. */
  static int count(final String value, final int fallback, final int max) {
    if (value == null || value.isBlank()) {
      return Math.min(fallback, max);
    }
    try {
      final int n = Integer.parseInt(value.trim());
      if (n < 1 || n > max) {
        throw new IllegalArgumentException("limit must be between 1 and " + max + ": " + value);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a count: " + value);
    }
  }

  /** Epoch milliseconds or an ISO-8601 instant. */
  static long time(final String value, final long fallback) {
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      try {
        return Instant.parse(value.trim()).toEpochMilli();
      } catch (DateTimeParseException e2) {
        throw new IllegalArgumentException("not a time (epoch ms or ISO-8601): " + value);
      }
    }
  }

  static Map<String, String> params(final String rawQuery) {
    final Map<String, String> params = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    for (final String pair : rawQuery.split("&")) {
      final int eq = pair.indexOf('=');
      final String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      final String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      params.put(k, v);
    }
    return params;
  }

  private boolean authorized(final HttpExchange exchange) {
    if (token.isEmpty()) {
      return true;
    }
    final String header = exchange.getRequestHeaders().getFirst("Authorization");
    final byte[] expected = ("Bearer " + token.get()).getBytes(StandardCharsets.UTF_8);
    // constant time: the comparison must not tell an attacker how much of the token was right
    return header != null && MessageDigest.isEqual(expected, header.getBytes(StandardCharsets.UTF_8));
  }

  private JsonNode error(final String message) {
    return json.createObjectNode().put("error", message);
  }

  private void send(final HttpExchange exchange, final int status, final JsonNode body) throws IOException {
    final byte[] bytes = json.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
