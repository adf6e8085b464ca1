package dev.oomwatch.archive;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Writes rows (the records as JSON, one a line) into a Parquet file through an in-process DuckDB:
 * typed by {@link AvroColumns}, zstd-compressed, written under a temporary name and moved into
 * place, so a reader never sees half a file and a crash leaves only a {@code .tmp} behind.
 */
final class ParquetFiles implements AutoCloseable {
  private final Connection db;

  ParquetFiles() throws SQLException {
    this.db = DriverManager.getConnection("jdbc:duckdb:");
    try (Statement s = db.createStatement()) {
      // a small, steady footprint beside the consumer: one thread, a bounded buffer pool
      s.execute("SET threads = 1");
      s.execute("SET memory_limit = '256MB'");
    }
  }

  void write(final ArchiveType type, final List<String> jsonLines, final Path target) throws IOException, SQLException {
    Files.createDirectories(target.getParent());
    final Path json = target.resolveSibling(target.getFileName() + ".json.tmp");
    final Path parquet = target.resolveSibling(target.getFileName() + ".tmp");
    try {
      Files.write(json, jsonLines, StandardCharsets.UTF_8);
      try (Statement s = db.createStatement()) {
        s.execute("COPY (SELECT * FROM read_json(" + literal(json) + ", format = 'newline_delimited', columns = "
            + AvroColumns.columnsLiteral(type.schema()) + ")) TO " + literal(parquet)
            + " (FORMAT PARQUET, COMPRESSION ZSTD)");
      }
      Files.move(parquet, target, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(json);
      Files.deleteIfExists(parquet);
    }
  }

  static String literal(final Path path) {
    return "'" + path.toAbsolutePath().toString().replace("'", "''") + "'";
  }

  @Override
  public void close() throws SQLException {
    db.close();
  }
}
