package dev.oomwatch.streams;

import dev.oomwatch.metrics.MetricsEndpoint;
import dev.oomwatch.query.QueryServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import dev.oomwatch.topics.TopicPlan;
import dev.oomwatch.topics.TopicProvisioner;
import java.time.Duration;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the topology: provisions the topics, opens the HTTP API, starts Kafka Streams, replaces a
 * thread that dies.
 */
public final class StreamsApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);

  /**
   * Each alert event is logged on a logger of its own: a streams-app's log is where a person sees
   * them; {@code bin/oomwatch local} prints them itself and turns this one off.
   */
  public static final String ALERT_LOGGER = "dev.oomwatch.alerts";

  private final KafkaStreams streams;
  private final QueryServer http;
  private final MetricsEndpoint metrics;
  /** Resolves writer schemas newer than this build's from the schemas topic, while the app runs. */
  private final AutoCloseable schemas;

  private StreamsApp(final KafkaStreams streams, final QueryServer http, final MetricsEndpoint metrics,
      final AutoCloseable schemas) {
    this.schemas = schemas;
    this.streams = streams;
    this.http = http;
    this.metrics = metrics;
  }

  public static StreamsApp start(final StreamsAppConfig config) {
    final int brokers;
    try (Admin admin = Admin.create(config.kafka().clientProperties(Map.of()))) {
      TopicProvisioner.ensure(admin, TopicPlan.from(config.settings()), config.createTopics());
      brokers = admin.describeCluster().nodes().get(30, java.util.concurrent.TimeUnit.SECONDS).size();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot reach the Kafka cluster: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting", e);
    }
    // what it writes, for readers older than it; what others write, for a collector newer than it
    final String schemaTopic = config.kafka().topic(dev.oomwatch.topics.Topic.SCHEMAS);
    dev.oomwatch.wire.SchemaTopic.publish(config.kafka().clientProperties(Map.of()), schemaTopic,
        dev.oomwatch.schema.Alert.class, dev.oomwatch.schema.DeadLetter.class);
    final AutoCloseable schemas = dev.oomwatch.wire.SchemaTopic.resolveFrom(config.kafka().clientProperties(Map.of()),
        schemaTopic);
    final QueryServer http = openHttp(config);
    final Properties props = config.streamsProperties();
    if (config.replicationFactor() == -1) {
      // changelogs and repartition topics as the oomwatch topics: three replicas, two in sync, from three brokers on
      props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, Math.min(3, Math.max(1, brokers)));
      props.put(StreamsConfig.topicPrefix("min.insync.replicas"), brokers >= 3 ? "2" : "1");
    }
    if (http != null) {
      props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, http.advertised().host() + ":" + http.advertised().port());
    }
    final PipelineMetrics pipeline = new PipelineMetrics();
    ProcessingDeadLetters.install(props, config.kafka().topic(dev.oomwatch.topics.Topic.DEAD_LETTERS), pipeline);
    final KafkaStreams streams = new KafkaStreams(
        OomwatchTopology.build(config.kafka(), config.detection(), config.history(), pipeline), props);
    final PrometheusRegistry registry = MetricsEndpoint.newRegistry();
    // an instance judged by no task of this app for as long as detection calls it stale is not charted from here
    StreamsPrometheus.register(registry, pipeline, () -> streams, config.detection().staleAfter().toMillis());
    if (http != null) {
      io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("oomwatch_api_busy_refusals_total")
          .help("API requests answered 503 because as many as may were already waiting on other instances")
          .callback(cb -> cb.call(http.busyRefusals())).register(registry);
    }
    final MetricsEndpoint metrics = MetricsEndpoint.serve(config.metrics(), registry);
    if (http != null) {
      http.attach(streams, config.history());
    }
    // a record that fails its processing is a dead letter (ProcessingDeadLetters); what reaches here
    // is the thread's own failure (a broker, a store), which a new thread may not meet again
    streams.setUncaughtExceptionHandler(e -> {
      LOG.error("stream thread failed, replacing it: {}", e.toString(), e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.setStateListener((now, before) -> LOG.info("streams-app {} -> {}", before, now));
    streams.start();
    LOG.info("streams-app {} started against {} ({})", config.applicationId(), config.kafka().bootstrapServers(),
        config.processingGuarantee());
    return new StreamsApp(streams, http, metrics, schemas);
  }

  /** The API is a window on the alerts, not the alerts: if it cannot listen, alerting goes on without it. */
  private static QueryServer openHttp(final StreamsAppConfig config) {
    if (!config.query().enabled()) {
      return null;
    }
    try {
      return QueryServer.start(config.query(), config.history());
    } catch (UncheckedIOException e) {
      LOG.error("no HTTP API or timeline page: {} (set http.port, or http.enabled=false)", e.getMessage());
      return null;
    }
  }

  /** The HTTP server, when it runs. */
  public Optional<QueryServer> http() {
    return Optional.ofNullable(http);
  }

  /** Where /metrics is served, when it is. */
  public Optional<String> metricsUrl() {
    return metrics.url();
  }

  public KafkaStreams streams() {
    return streams;
  }

  /**
   * Waits until Streams is RUNNING (its tasks assigned, its stores restored); throws, naming the
   * state it is in, when it is not within {@code within}: a bound that only ends a start truly stuck.
   */
  public StreamsApp awaitRunning(final java.time.Duration within) throws InterruptedException {
    final long deadline = System.currentTimeMillis() + within.toMillis();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("the streams-app is not RUNNING after " + within.toSeconds() + " s: "
            + streams.state());
      }
      Thread.sleep(100);
    }
    return this;
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
    try {
      schemas.close();
    } catch (Exception e) {
      LOG.warn("closing the schemas reader: {}", e.toString());
    }
    metrics.close();
    if (http != null) {
      http.close();
    }
  }
}
