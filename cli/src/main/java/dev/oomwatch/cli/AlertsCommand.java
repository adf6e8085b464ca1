package dev.oomwatch.cli;

import dev.oomwatch.config.ConfigOptions;
import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.console.AlertLine;
import dev.oomwatch.console.TopicPrinter;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.topics.Topic;
import dev.oomwatch.wire.RecordJson;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "alerts", mixinStandardHelpOptions = true,
    description = "Print the alerts topic: one readable line per alert, or --json one JSON object a line.")
public final class AlertsCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--json", description = "One JSON object a line.")
  boolean json;

  @Mixin FollowOptions follow;

  @Override
  public Integer call() {
    final KafkaSettings kafka = KafkaSettings.from(config.load());
    TopicPrinter.print(kafka, Topic.ALERTS, follow.fromBeginning, follow.max, follow.timeout,
        record -> json ? RecordJson.toJsonLine(record) : AlertLine.format((Alert) record), System.out);
    return 0;
  }
}
