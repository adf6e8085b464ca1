package dev.oomwatch.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.topics.Topic;
import dev.oomwatch.topics.TopicPlan;
import dev.oomwatch.topics.TopicProvisioner;
import dev.oomwatch.topics.TopicSpec;
import dev.oomwatch.wire.Serdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {

  @TempDir Path data;

  @Test
  void provisionsTopicsAndKeepsRecordsAcrossARestart() throws Exception {
    final String topic = Topic.REDIS_SAMPLES.fullName(Topic.DEFAULT_PREFIX);
    final RedisSample sample = RedisSample.newBuilder()
        .setHost("h1").setInstance("h1:6379").setTimestampMs(1L).setReachable(true).setUsedMemory(5L).build();

    try (EmbeddedKafka kafka = EmbeddedKafka.start(data, 0);
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      final List<TopicSpec> plan = TopicPlan.from(Settings.of(Map.of("topic.partitions", "2")));
      assertThat(TopicProvisioner.ensure(admin, plan)).isEmpty();
      assertThat(admin.listTopics().names().get()).containsAll(plan.stream().map(TopicSpec::name).toList());
      final var retention = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, topic)))
          .all().get().values().iterator().next().get("retention.ms").value();
      assertThat(retention).isEqualTo(String.valueOf(Duration.ofDays(7).toMillis()));
      assertThat(admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "oomwatch.alert-state")))
          .all().get().values().iterator().next().get("cleanup.policy").value()).isEqualTo("compact");

      try (KafkaProducer<String, RedisSample> producer = new KafkaProducer<>(
          Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
          new StringSerializer(), Serdes.redisSample().serializer())) {
        producer.send(new ProducerRecord<>(topic, "h1", sample)).get();
      }
    }

    try (EmbeddedKafka kafka = EmbeddedKafka.start(data, 0);
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      assertThat(readAll(kafka, topic, 1)).containsExactly(sample);
      // Provisioning again is a no-op: same settings, no warning, no error.
      assertThat(TopicProvisioner.ensure(admin, TopicPlan.from(Settings.of(Map.of("topic.partitions", "2"))))).isEmpty();
    }
  }

  @Test
  void anExistingTopicWithOtherSettingsGetsAWarningNotACrash() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(data, 0);
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic("oomwatch.alerts", 1, (short) 1)
          .configs(Map.of("retention.ms", "1000")))).all().get();
      final List<String> warnings = TopicProvisioner.ensure(admin, TopicPlan.from(Settings.empty()));
      assertThat(warnings).singleElement().asString()
          .contains("oomwatch.alerts").contains("partitions 1 (wanted 6)").contains("retention.ms=1000");
    }
  }

  @Test
  void withTopicCreateFalseMissingTopicsAreNamedAndNoneIsMade() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(data, 0);
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      final List<TopicSpec> plan = TopicPlan.from(Settings.of(Map.of("topic.partitions", "2")));
      admin.createTopics(List.of(new NewTopic("oomwatch.alerts", 2, (short) 1))).all().get();
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> TopicProvisioner.ensure(admin, plan, false))
          .hasMessageContaining("topic.create=false").hasMessageContaining("oomwatch.redis-samples")
          .hasMessageContaining("oomwatch.alert-state").hasMessageNotContaining("oomwatch.alerts,");
      assertThat(admin.listTopics().names().get()).containsExactly("oomwatch.alerts");
      // made by their owner: checked, not touched
      TopicProvisioner.ensure(admin, plan, true);
      assertThat(TopicProvisioner.ensure(admin, plan, false)).singleElement().asString()
          .contains("oomwatch.alerts exists with other settings");
    }
  }

  private static List<RedisSample> readAll(final EmbeddedKafka kafka, final String topic, final int expected) {
    final List<RedisSample> records = new ArrayList<>();
    try (KafkaConsumer<String, RedisSample> consumer = new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG, "t", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), Serdes.redisSample().deserializer())) {
      consumer.subscribe(List.of(topic));
      final long deadline = System.currentTimeMillis() + 30_000;
      while (records.size() < expected && System.currentTimeMillis() < deadline) {
        for (final ConsumerRecord<String, RedisSample> r : consumer.poll(Duration.ofMillis(200))) {
          records.add(r.value());
        }
      }
    }
    return records;
  }
}
