package dev.oomwatch.topics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.config.Settings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicPlanTest {
  @Test
  void fromThreeBrokersOnTopicsHaveThreeReplicasAndTwoInSync() {
    final List<TopicSpec> specs = TopicPlan.forCluster(TopicPlan.from(Settings.empty()), 5);
    assertThat(specs).hasSize(Topic.values().length).allSatisfy(s -> {
      assertThat(s.replicationFactor()).isEqualTo((short) 3);
      assertThat(s.configs()).containsEntry("min.insync.replicas", "2");
    });
  }

  @Test
  void aSmallerClusterGetsOneReplicaPerBrokerAndOneInSync() {
    assertThat(TopicPlan.forCluster(TopicPlan.from(Settings.empty()), 1)).allSatisfy(s -> {
      assertThat(s.replicationFactor()).isEqualTo((short) 1);
      assertThat(s.configs()).containsEntry("min.insync.replicas", "1");
    });
    assertThat(TopicPlan.forCluster(TopicPlan.from(Settings.empty()), 2))
        .allSatisfy(s -> assertThat(s.replicationFactor()).isEqualTo((short) 2));
  }

  @Test
  void aReplicationSetExplicitlyIsKept() {
    final List<TopicSpec> specs = TopicPlan.forCluster(
        TopicPlan.from(Settings.of(Map.of(TopicPlan.REPLICATION, "2"))), 5);
    assertThat(specs).allSatisfy(s -> {
      assertThat(s.replicationFactor()).isEqualTo((short) 2);
      assertThat(s.configs()).doesNotContainKey("min.insync.replicas");
    });
  }
}
