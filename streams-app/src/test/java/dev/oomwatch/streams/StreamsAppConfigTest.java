package dev.oomwatch.streams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.config.Settings;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class StreamsAppConfigTest {
  @Test
  void tasksWaitForTheKernelLooksOfTheSameSecondsThatTheBrokerAlreadyHas() {
    // -1 (never wait) let Redis samples overtake the fork's kernel looks: no fork warning before a kill
    final Properties props = StreamsAppConfig.from(Settings.empty()).streamsProperties();
    assertThat(props.get(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG)).isEqualTo(0L);
    assertThat(props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
  }

  @Test
  void anyKafkaStreamsSettingCanStillBeOverridden() {
    final Properties props = StreamsAppConfig.from(Settings.of(Map.of("streams.config.max.task.idle.ms", "20")))
        .streamsProperties();
    assertThat(props.get(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG)).isEqualTo("20");
  }
}
