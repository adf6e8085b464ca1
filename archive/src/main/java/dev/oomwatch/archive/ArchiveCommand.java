package dev.oomwatch.archive;

import dev.oomwatch.config.ConfigOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "archive", mixinStandardHelpOptions = true,
    header = "Keep every sample, kernel event and alert as Parquet, exactly once.",
    description = {"Keep every sample, kernel event and alert as Parquet, partitioned by type, date and hour,",
        "exactly once (offsets committed after each file is in place). Works against any cluster."})
public final class ArchiveCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--dir", paramLabel = "DIR", description = "The archive's folder (archive.dir; default data/archive).")
  Path dir;

  @Override
  public Integer call() throws Exception {
    final Map<String, String> flags = new LinkedHashMap<>();
    if (dir != null) {
      flags.put("archive.dir", dir.toString());
    }
    // before DuckDB loads (and copies itself there again)
    DuckDbLeftovers.clean(Path.of(System.getProperty("java.io.tmpdir")), System.currentTimeMillis());
    final ArchiveConfig archiveConfig = ArchiveConfig.from(config.load(flags));
    dev.oomwatch.config.KafkaAccess.verify(archiveConfig.kafka(), java.time.Duration.ofSeconds(15));
    final Archiver archiver = Archiver.start(archiveConfig);
    Runtime.getRuntime().addShutdownHook(new Thread(archiver::close, "archive-shutdown"));
    return archiver.awaitStopped() ? 0 : 1;
  }

  /** The archiver alone, as the crash test runs it. */
  public static void main(final String[] args) {
    System.exit(new picocli.CommandLine(new ArchiveCommand()).execute(args));
  }
}
