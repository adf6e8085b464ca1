package dev.oomwatch.config;

import dev.oomwatch.topics.Topic;
import java.util.HashMap;
import java.util.Map;

/** What every oomwatch Kafka client shares: where the brokers are, the topic prefix, security. */
public record KafkaSettings(String bootstrapServers, String topicPrefix, Map<String, Object> clientProperties) {
  public static final String BOOTSTRAP = "kafka.bootstrap.servers";
  public static final String TOPIC_PREFIX = "topic.prefix";
  public static final String DEFAULT_BOOTSTRAP = "localhost:9092";

  public static KafkaSettings from(final Settings settings) {
    return new KafkaSettings(
        settings.get(BOOTSTRAP, DEFAULT_BOOTSTRAP),
        settings.get(TOPIC_PREFIX, Topic.DEFAULT_PREFIX),
        settings.kafkaClientProperties());
  }

  public String topic(final Topic topic) {
    return topic.fullName(topicPrefix);
  }

  /** Client properties with bootstrap filled in; callers add their own on top. */
  public Map<String, Object> clientProperties(final Map<String, Object> overrides) {
    final Map<String, Object> props = new HashMap<>(clientProperties);
    props.put("bootstrap.servers", bootstrapServers);
    props.putAll(overrides);
    return props;
  }
}
