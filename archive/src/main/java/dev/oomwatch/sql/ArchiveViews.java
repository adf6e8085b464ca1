package dev.oomwatch.sql;

import dev.oomwatch.archive.ArchiveLayout;
import dev.oomwatch.archive.ArchiveType;
import dev.oomwatch.archive.AvroColumns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * An in-process DuckDB over the archive with ready views: one per type ({@code redis_samples},
 * {@code host_samples}, {@code kernel_events}, {@code alerts}; the Avro fields, {@code date},
 * {@code hour} and the Kafka partition and offset) and {@code instance_memory}, each Redis sample
 * beside the kernel's figures for the same instance at that time.
 */
public final class ArchiveViews {
  /**
   * Each reachable Redis sample joined as-of with its host's latest kernel sample at most 2 s older
   * (the streams-app's join tolerance), its server process picked by its pid on the host (the one
   * the collector resolved; Redis's own process_id from collectors before RedisSample v4, which is
   * wrong in containers) and its fork child by parent. physical is what the kernel judges: the
   * cgroup's anonymous memory, else server + child RSS. {HOST_PID} and {POD} are filled by
   * {@link #instanceMemory} from the columns the archive has.
   */
  static final String INSTANCE_MEMORY = """
      CREATE VIEW instance_memory AS
      WITH joined AS (
        SELECT r.*, h.timestampMs AS kernel_ts, h.processes, h.memTotal AS host_mem_total
        FROM (SELECT * FROM redis_samples WHERE reachable) r
        ASOF LEFT JOIN host_samples h ON r.host = h.host AND r.timestampMs >= h.timestampMs
      ), picked AS (
        SELECT *,
          CASE WHEN kernel_ts >= timestampMs - 2000
            THEN list_filter(processes, lambda p: p.pid = {HOST_PID})[1] END AS srv,
          CASE WHEN kernel_ts >= timestampMs - 2000
            THEN list_filter(processes, lambda p: p.serverPid = {HOST_PID} AND p.role = 'FORK_CHILD')[1] END AS child
        FROM joined
      )
      SELECT host, instance, timestampMs AS ts_ms, make_timestamp(timestampMs * 1000) AS ts, date, hour,
        runId AS run_id, {HOST_PID} AS pid, {POD},
        usedMemory AS used_memory, usedMemoryRss AS used_memory_rss, usedMemoryDataset AS used_memory_dataset,
        maxmemory, memFragmentationRatio AS fragmentation_ratio,
        coalesce(rdbBgsaveInProgress, false) OR coalesce(aofRewriteInProgress, false)
          OR coalesce(moduleForkInProgress, false) OR child.pid IS NOT NULL AS forking,
        rdbLastCowSize AS rdb_last_cow_size, aofLastCowSize AS aof_last_cow_size,
        srv.vmRss AS server_rss, child.pid AS child_pid, child.vmRss AS child_rss,
        srv.cgroup.path AS cgroup, srv.cgroup.usage AS cgroup_usage, srv.cgroup.anon AS cgroup_anon,
        srv.cgroup."limit" AS cgroup_limit,
        coalesce(srv.cgroup.anon, srv.cgroup.usage, srv.vmRss + coalesce(child.vmRss, 0), usedMemoryRss) AS physical,
        coalesce(srv.cgroup."limit", host_mem_total, totalSystemMemory) AS limit_bytes
      FROM picked
      """;

  /** Tries of {@link #query} when a file it listed was gone by the time it was read. */
  private static final int TRIES = 5;

  private ArchiveViews() {}

  /** What a caller does with a connection of {@link #open}. */
  @FunctionalInterface
  public interface Work<T> {
    T on(Connection db) throws SQLException;
  }

  /**
   * Runs {@code work} on a connection of {@link #open}, again on a fresh one (up to five tries) when a
   * Parquet file the views listed was gone when DuckDB opened it. An archiver that starts, or is given
   * a partition, removes the files of its last uncommitted roll (their records are read again), and a
   * query listing the folder at that moment meets one missing; the next listing no longer has it.
   * DuckDB reads the files while it executes (results are materialized, not streamed), so {@code work}
   * has printed nothing when this fails.
   */
  public static <T> T query(final Path root, final Work<T> work) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try (Connection db = open(root)) {
        return work.on(db);
      } catch (SQLException e) {
        if (attempt >= TRIES || !aFileWentAway(e)) {
          throw e;
        }
        try {
          Thread.sleep(50L * attempt);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** DuckDB's words for a file that was listed and then not there. */
  static boolean aFileWentAway(final SQLException e) {
    final String message = String.valueOf(e.getMessage());
    return message.contains("Cannot open file") && message.contains("No such file or directory");
  }

  /** A connection with every view defined; types with no file yet are empty views of the right columns. */
  public static Connection open(final Path root) throws SQLException {
    final Connection db = DriverManager.getConnection("jdbc:duckdb:");
    final ArchiveLayout layout = new ArchiveLayout(root);
    try (Statement s = db.createStatement()) {
      for (final ArchiveType type : ArchiveType.values()) {
        s.execute("CREATE VIEW " + type.table() + " AS " + source(layout, type));
      }
      s.execute(instanceMemory(columns(s, "redis_samples")));
    }
    return db;
  }

  /**
   * The instance_memory view over what the archive holds: an archive written only by collectors
   * before RedisSample v4 has no identity or pod columns, so the view falls back to process_id.
   */
  static String instanceMemory(final java.util.Set<String> redisColumns) {
    final boolean v4 = redisColumns.contains("serverHostPid") && redisColumns.contains("identity");
    return INSTANCE_MEMORY
        .replace("{HOST_PID}", v4 ? "CASE WHEN identity IS NULL THEN processId ELSE serverHostPid END" : "processId")
        .replace("{POD}", v4 ? "podNamespace AS pod_namespace, podName AS pod_name, containerName AS container_name"
            : "CAST(NULL AS VARCHAR) AS pod_namespace, CAST(NULL AS VARCHAR) AS pod_name,"
                + " CAST(NULL AS VARCHAR) AS container_name");
  }

  private static java.util.Set<String> columns(final Statement s, final String view) throws SQLException {
    final java.util.Set<String> names = new java.util.HashSet<>();
    try (java.sql.ResultSet rs = s.executeQuery("SELECT column_name FROM (DESCRIBE " + view + ")")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  private static String source(final ArchiveLayout layout, final ArchiveType type) {
    final Path dir = layout.typeDir(type);
    if (layout.parts(type).isEmpty() || !Files.isDirectory(dir)) {
      return "SELECT *, CAST(NULL AS DATE) AS date, CAST(NULL AS BIGINT) AS hour FROM ("
          + AvroColumns.emptySelect(type.schema()) + ")";
    }
    final String glob = dir.toAbsolutePath() + "/*/*/*.parquet";
    return "SELECT * FROM read_parquet('" + glob.replace("'", "''") + "', hive_partitioning = true, union_by_name = true)";
  }
}
