package dev.oomwatch.sql;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "sql", mixinStandardHelpOptions = true,
    header = "Run SQL over the Parquet archive (DuckDB, in-process).",
    description = {"Run SQL over the archive (DuckDB, in-process). Views: redis_samples, host_samples,",
        "kernel_events, alerts, instance_memory (Redis and kernel figures per instance and time) and "
            + "instance_sizing (each instance's sizing advice from its own forks)."})
public final class SqlCommand implements Callable<Integer> {
  @Option(names = "--archive", paramLabel = "DIR", defaultValue = "data/archive",
      description = "The archive's folder. Default: ${DEFAULT-VALUE}.")
  Path archive;

  @Option(names = "--format", defaultValue = "table", paramLabel = "table|csv|json",
      description = "Output: an aligned table, CSV, or JSON (one object a line). Default: ${DEFAULT-VALUE}.")
  String format;

  @Parameters(index = "0", paramLabel = "QUERY", description = "The SQL, quoted as one argument.")
  String query;

  @Override
  public Integer call() {
    final ResultFormat output;
    try {
      output = ResultFormat.valueOf(format.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      System.err.println("oomwatch sql: --format is table, csv or json, not " + format);
      return 2;
    }
    try {
      ArchiveViews.query(archive, db -> {
        try (Statement s = db.createStatement()) {
          if (s.execute(query)) {
            try (ResultSet rs = s.getResultSet()) {
              output.print(rs, System.out);
            }
          }
        }
        return null;
      });
      return 0;
    } catch (SQLException e) {
      System.err.println("oomwatch sql: " + e.getMessage());
      return 1;
    }
  }

  /** {@code sql} alone, as the archiver's image runs it (/opt/oomwatch/bin/sql). */
  public static void main(final String[] args) {
    System.exit(new picocli.CommandLine(new SqlCommand()).execute(args));
  }
}
