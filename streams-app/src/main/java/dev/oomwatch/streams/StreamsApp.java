package dev.oomwatch.streams;

import dev.oomwatch.topics.TopicPlan;
import dev.oomwatch.topics.TopicProvisioner;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the topology: provisions the topics, starts Kafka Streams, replaces a thread that dies. */
public final class StreamsApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);

  private final KafkaStreams streams;

  private StreamsApp(final KafkaStreams streams) {
    this.streams = streams;
  }

  public static StreamsApp start(final StreamsAppConfig config) {
    try (Admin admin = Admin.create(config.kafka().clientProperties(Map.of()))) {
      TopicProvisioner.ensure(admin, TopicPlan.from(config.settings()));
    }
    final KafkaStreams streams = new KafkaStreams(
        OomwatchTopology.build(config.kafka(), config.detection()), config.streamsProperties());
    streams.setUncaughtExceptionHandler(e -> {
      LOG.error("stream thread failed, replacing it: {}", e.toString(), e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.setStateListener((now, before) -> LOG.info("streams-app {} -> {}", before, now));
    streams.start();
    LOG.info("streams-app {} started against {} ({})", config.applicationId(), config.kafka().bootstrapServers(),
        config.processingGuarantee());
    return new StreamsApp(streams);
  }

  public KafkaStreams streams() {
    return streams;
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
  }
}
