package dev.oomwatch.cli;

import dev.oomwatch.config.ConfigOptions;
import dev.oomwatch.config.Durations;
import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.config.Settings;
import dev.oomwatch.console.TopicPrinter;
import dev.oomwatch.topics.Topic;
import dev.oomwatch.wire.RecordJson;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "tail", mixinStandardHelpOptions = true,
    description = "Decode any oomwatch topic to JSON lines (one object a line, plain values).")
public final class TailCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Parameters(paramLabel = "TOPIC", description = "Short name (redis-samples, host-samples, kernel-events, alerts, alert-state, alerts-json, dead-letters) or full name.")
  String topicName;

  @Mixin FollowOptions follow;

  @Override
  public Integer call() {
    final Settings settings = config.load();
    final KafkaSettings kafka = KafkaSettings.from(settings);
    final Topic topic = Topic.byName(topicName, kafka.topicPrefix()).orElse(null);
    if (topic == null) {
      System.err.println("unknown topic '" + topicName + "': one of redis-samples, host-samples, kernel-events, alerts, alert-state, alerts-json, dead-letters");
      return 2;
    }
    TopicPrinter.print(kafka, topic, follow.fromBeginning, follow.max, follow.timeout, RecordJson::toJsonLine, System.out);
    return 0;
  }

  /** picocli converter for durations written as 200ms, 5s, 10m. */
  public static final class DurationConverter implements picocli.CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(final String value) {
      return Durations.parse(value);
    }
  }
}
