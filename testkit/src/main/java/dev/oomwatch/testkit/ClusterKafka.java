package dev.oomwatch.testkit;

import dev.oomwatch.broker.KafkaCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;

/** A real three-node (or larger) KRaft cluster, a JVM per node, for the fault tests. */
public final class ClusterKafka implements KafkaBackend {
  private final KafkaCluster cluster;

  public ClusterKafka(final Path dataDir, final int nodes) {
    this.cluster = KafkaCluster.start(dataDir, nodes, 0);
  }

  public KafkaCluster cluster() {
    return cluster;
  }

  @Override
  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** The node id leading partition {@code partition} of {@code topic} now. */
  public int leaderOf(final String topic, final int partition) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      final TopicDescription d = admin.describeTopics(java.util.List.of(topic)).allTopicNames()
          .get(30, TimeUnit.SECONDS).get(topic);
      return d.partitions().get(partition).leader().id();
    }
  }

  /** Every node killed at once (SIGKILL), and started again after {@code length} with its data. */
  @Override
  public void outage(final Duration length) {
    try {
      for (int i = 1; i <= cluster.size(); i++) {
        cluster.kill(i);
      }
      Thread.sleep(length.toMillis());
      for (int i = 1; i <= cluster.size(); i++) {
        cluster.startNode(i);
      }
      cluster.awaitBrokers(cluster.size(), Duration.ofSeconds(90));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String describe() {
    return "a " + cluster.size() + "-node KRaft cluster (a JVM per node) at " + bootstrapServers();
  }

  @Override
  public void close() {
    cluster.close();
  }
}
