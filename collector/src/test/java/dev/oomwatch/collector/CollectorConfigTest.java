package dev.oomwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.oomwatch.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CollectorConfigTest {
  private static CollectorConfig with(final String cluster) {
    return CollectorConfig.from(Settings.of(Map.of("kafka.bootstrap.servers", "127.0.0.1:9092",
        "redis.uris", "redis://127.0.0.1:6379", CollectorConfig.CLUSTER, cluster)));
  }

  @Test
  void aBlankClusterIdIsNoneAsAManifestLeavesIt() {
    // OOMWATCH_CLUSTER_ID: "" in a ConfigMap: no cluster, not a refusal to start
    assertThat(with("").cluster()).isEmpty();
    assertThat(with("  ").cluster()).isEmpty();
    assertThat(with("eu-west-1").cluster()).contains("eu-west-1");
    assertThatThrownBy(() -> with("eu west")).hasMessageContaining("cluster.id must be");
  }
}
