package dev.oomwatch.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** Where to start reading a topic and when to stop: shared by {@code alerts} and {@code tail}. */
public final class FollowOptions {
  @Option(names = "--from-beginning", description = "Start at the oldest record instead of the newest.")
  boolean fromBeginning;

  @Option(names = "--max", paramLabel = "N", description = "Stop after N records.")
  long max;

  @Option(names = "--timeout", paramLabel = "DURATION", converter = TailCommand.DurationConverter.class,
      description = "Stop after this long without a new record (e.g. 5s); default: follow forever.")
  Duration timeout;
}
