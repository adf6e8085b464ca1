package dev.oomwatch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The one launcher, {@code bin/oomwatch}. Each subcommand has its own --help. {@code collector} and
 * {@code bench} are routed by the script to their own modules' jars (the collector's small footprint;
 * the benchmark harness and JMH, which nothing deployed carries).
 */
@Command(name = "oomwatch", mixinStandardHelpOptions = true, version = "oomwatch 0.1.0",
    description = "Finds the Redis memory failures Redis's own metrics hide: RSS, fork copy-on-write and kernel OOM kills.",
    subcommands = {
        LocalCommand.class,
        dev.oomwatch.collector.CollectorCommand.class,
        dev.oomwatch.streams.StreamsCommand.class,
        dev.oomwatch.archive.ArchiveCommand.class,
        dev.oomwatch.alertmanager.AlertmanagerCommand.class,
        dev.oomwatch.sql.SqlCommand.class,
        AlertsCommand.class,
        TailCommand.class,
        CommandLine.HelpCommand.class})
public final class Oomwatch implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(final String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The launcher's command line: refused Kafka credentials end any command with one line and exit code 3. */
  static CommandLine commandLine() {
    return new CommandLine(new Oomwatch()).setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          final var refused = dev.oomwatch.config.KafkaAccess.refusal(e);
          if (refused.isEmpty()) {
            throw e;
          }
          cmd.getErr().println("oomwatch " + cmd.getCommandName() + ": "
              + dev.oomwatch.config.KafkaAccess.explain(refused.get()));
          return dev.oomwatch.config.KafkaAccess.EXIT_REFUSED;
        });
  }
}
