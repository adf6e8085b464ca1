package dev.oomwatch.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.oomwatch.history.HistoryConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streams-app's HTTP server (the JDK's own): the API and the timeline page. It binds before
 * Kafka Streams is created, because Kafka Streams must be told this instance's address
 * ({@code application.server}) so the others can forward to it; until {@link #attach} it answers 503.
 */
public final class QueryServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(QueryServer.class);

  private final HttpServer server;
  private final ExecutorService executor;
  private final ApiHandler api;
  private final QueryConfig config;
  private final HostInfo advertised;
  private final ObjectMapper json = new ObjectMapper();
  private volatile KafkaStreams attached;

  private QueryServer(final QueryConfig config, final HistoryConfig history) throws IOException {
    this.config = config;
    dev.oomwatch.metrics.HttpServerLimits.apply();
    this.server = HttpServer.create(new InetSocketAddress(config.bind(), config.port()), 64);
    // several threads: an instance forwarding to another may be asked by it at the same moment
    this.executor = Executors.newFixedThreadPool(config.threads(), r -> {
      final Thread t = new Thread(r, "oomwatch-http");
      t.setDaemon(true);
      return t;
    });
    this.api = new ApiHandler(json, config, history);
    server.createContext("/api/", api);
    server.createContext("/healthz", this::health);
    server.createContext("/", new StaticPages());
    server.setExecutor(executor);
    this.advertised = new HostInfo(config.advertisedHost(), server.getAddress().getPort());
  }

  public static QueryServer start(final QueryConfig config, final HistoryConfig history) {
    try {
      final QueryServer s = new QueryServer(config, history);
      s.server.start();
      if (!config.loopbackOnly() && config.token().isEmpty()) {
        LOG.warn("HTTP API bound to {} without a token: anyone who reaches this port reads the fleet's memory "
            + "figures; set http.token", config.bind());
      }
      LOG.info("timeline page and API at {}", s.url());
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + config.bind() + ":" + config.port() + ": " + e.getMessage(), e);
    }
  }

  /** What Kafka Streams advertises to the other instances as this one's {@code application.server}. */
  public HostInfo advertised() {
    return advertised;
  }

  public String url() {
    final String host = config.bind().equals("0.0.0.0") || config.bind().equals("::") ? advertised.host() : config.bind();
    return "http://" + host + ":" + advertised.port() + "/";
  }

  /**
   * For the kubelet's probes, without the API token and without asking the other replicas: 200
   * while this instance's Streams runs or rebalances, else 503. Says the state and nothing else.
   */
  private void health(final com.sun.net.httpserver.HttpExchange exchange) throws IOException {
    final KafkaStreams streams = attached;
    final KafkaStreams.State state = streams == null ? null : streams.state();
    final boolean up = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
    final byte[] body = ((state == null ? "STARTING" : state.name()) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    exchange.getRequestBody().readAllBytes();
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(up ? 200 : 503, body.length);
    try (java.io.OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** API requests refused as busy (a 503 with Retry-After): too many already waiting on other instances. */
  public long busyRefusals() {
    return api.busyRefusals();
  }

  public void attach(final KafkaStreams streams, final HistoryConfig history) {
    this.attached = streams;
    final LocalQueries local = new LocalQueries(streams, history);
    final RemoteQueries remote = new RemoteQueries(json, config.token(), config.remoteTimeout());
    api.attach(new ClusterQueries(streams, local, remote, advertised, json));
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
