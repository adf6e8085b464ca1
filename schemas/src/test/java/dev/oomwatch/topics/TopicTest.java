package dev.oomwatch.topics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TopicTest {
  @Test
  void findsATopicByItsShortOrFullNameAndNothingElse() {
    assertThat(Topic.byName("redis-samples", "oomwatch.")).contains(Topic.REDIS_SAMPLES);
    assertThat(Topic.byName("oomwatch.redis-samples", "oomwatch.")).contains(Topic.REDIS_SAMPLES);
    assertThat(Topic.byName("team-a.host-samples", "team-a.")).contains(Topic.HOST_SAMPLES);
    assertThat(Topic.byName("oomwatch.host-samples", "team-a.")).isEmpty();
    assertThat(Topic.byName("oomwatch.redis-samples-x", "oomwatch.")).isEmpty();
    assertThat(Topic.byName("xoomwatch.alerts", "oomwatch.")).isEmpty();
    assertThat(Topic.byName("unknown", "oomwatch.")).isEmpty();
  }
}
