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
 * {@code hour} and the Kafka partition and offset), {@code instance_memory}, each Redis sample
 * beside the kernel's figures for the same instance at that time, and {@code instance_sizing}, each
 * instance's sizing advice from its own forks.
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
        coalesce(srv.cgroup."limit", host_mem_total, totalSystemMemory) AS limit_bytes,
        {BUFFERS}
      FROM picked
      """;

  /**
   * Each instance's sizing advice over its last seven days in the archive, by the streams-app's
   * model ({@code dev.oomwatch.sizing.Sizing}): at its worst fork an instance of {@code U} bytes of
   * data needs {@code U * (resident_ratio + copy_ratio)} plus its fixed memory, other processes of
   * its cgroup and its buffers grown back to their peak; resident memory per byte of data is
   * Redis's own used_memory_rss against used_memory. A fork is a run of forking samples; it copied
   * what Redis's cow_size said after it, else the kernel's rise over the last quiet sample before it. A fork with no quiet sample of the same run after it (killed, with its server or
   * alone, or still running) counts as a full copy, as does an instance that never forked. Unlike
   * the streams-app's, it keeps no room for a replica's full sync (the archive has no CONFIG).
   * Riskiest first by {@code headroom_bytes}.
   */
  static final String INSTANCE_SIZING = """
      CREATE VIEW instance_sizing AS
      WITH m AS (
        SELECT *, max(ts_ms) OVER (PARTITION BY host, instance) AS newest_ms,
          CASE WHEN cgroup_limit IS NOT NULL AND server_rss IS NOT NULL
            THEN greatest(0, physical - server_rss - coalesce(child_rss, 0)) ELSE 0 END AS other_bytes,
          coalesce(mem_clients_normal, 0) + coalesce(mem_clients_replicas, 0) AS buffers
        FROM instance_memory WHERE physical IS NOT NULL AND used_memory > 0
      ), w AS (
        SELECT *,
          forking AND NOT coalesce(lag(forking) OVER win, false) AS fork_start,
          last_value(CASE WHEN NOT forking THEN physical END IGNORE NULLS)
            OVER (win ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS quiet_before
        FROM m WHERE ts_ms >= newest_ms - 7 * 86400000
        WINDOW win AS (PARTITION BY host, instance ORDER BY ts_ms)
      ), numbered AS (
        SELECT *, sum(CASE WHEN fork_start THEN 1 ELSE 0 END)
          OVER (PARTITION BY host, instance ORDER BY ts_ms) AS fork_no
        FROM w
      ), forks AS (
        SELECT host, instance, fork_no,
          arg_min(used_memory, ts_ms) FILTER (WHERE forking) AS used_at_fork,
          arg_min(quiet_before, ts_ms) FILTER (WHERE forking) AS baseline,
          arg_min(run_id, ts_ms) FILTER (WHERE forking) AS fork_run,
          max(physical) FILTER (WHERE forking) AS peak,
          arg_min(run_id, ts_ms) FILTER (WHERE NOT forking) AS end_run,
          arg_min(greatest(coalesce(rdb_last_cow_size, 0), coalesce(aof_last_cow_size, 0)), ts_ms)
            FILTER (WHERE forking) AS start_cow,
          arg_min(greatest(coalesce(rdb_last_cow_size, 0), coalesce(aof_last_cow_size, 0)), ts_ms)
            FILTER (WHERE NOT forking) AS end_cow
        FROM numbered WHERE fork_no > 0 GROUP BY host, instance, fork_no
      ), copies AS (
        SELECT host, instance, count(*) AS forks_seen,
          count(*) FILTER (WHERE end_run IS NULL OR end_run <> fork_run) AS forks_unfinished,
          max(CASE WHEN end_cow > 0 AND end_cow <> coalesce(start_cow, 0) THEN end_cow
                   ELSE greatest(coalesce(peak - baseline, 0), 0) END / used_at_fork)
            FILTER (WHERE end_run = fork_run) AS worst_copy_ratio
        FROM forks WHERE used_at_fork > 0 GROUP BY host, instance
      ), peaks AS (
        SELECT host, instance,
          max(used_memory_rss / used_memory) FILTER (WHERE NOT forking AND used_memory >= 33554432)
            AS measured_ratio,
          max(greatest(0, used_memory_rss - used_memory)) FILTER (WHERE NOT forking AND used_memory < 33554432)
            AS fixed_small,
          coalesce(max(other_bytes) FILTER (WHERE NOT forking), 0) AS other_bytes,
          coalesce(max(buffers) FILTER (WHERE NOT forking), 0) AS peak_buffers,
          max(ts_ms) AS ts_ms, arg_max(used_memory, ts_ms) AS used_memory, arg_max(limit_bytes, ts_ms) AS limit_bytes,
          arg_max(maxmemory, ts_ms) AS maxmemory, arg_max(buffers, ts_ms) AS buffers_now,
          arg_max(pod_namespace, ts_ms) AS pod_namespace, arg_max(pod_name, ts_ms) AS pod_name
        FROM w GROUP BY host, instance
      ), model AS (
        SELECT p.*, coalesce(c.forks_seen, 0) AS forks_seen, coalesce(c.forks_unfinished, 0) AS forks_unfinished,
          greatest(1.0, coalesce(p.measured_ratio, 1.0)) AS resident_ratio,
          CASE WHEN p.measured_ratio IS NULL THEN coalesce(p.fixed_small, 0) ELSE 0 END AS fixed_bytes,
          greatest(0, p.peak_buffers - p.buffers_now) AS buffer_growth_bytes,
          CASE WHEN coalesce(c.forks_seen, 0) = 0 THEN 'full copy'
            WHEN c.forks_unfinished > 0 THEN 'measured, an unfinished fork as a full copy'
            ELSE 'measured' END AS copy_basis,
          c.worst_copy_ratio
        FROM peaks p LEFT JOIN copies c USING (host, instance)
        WHERE p.limit_bytes IS NOT NULL
      ), sized AS (
        SELECT *,
          CASE WHEN copy_basis = 'measured' THEN least(worst_copy_ratio, resident_ratio) ELSE resident_ratio END
            AS copy_ratio,
          fixed_bytes + CASE WHEN copy_basis = 'measured' THEN 0 ELSE fixed_bytes END + other_bytes
            + buffer_growth_bytes AS constant_bytes
        FROM model
      )
      SELECT host, instance, pod_namespace, pod_name, make_timestamp(ts_ms * 1000) AS ts, used_memory, maxmemory,
        limit_bytes, forks_seen, forks_unfinished, copy_basis, round(copy_ratio, 3) AS copy_ratio,
        round(resident_ratio, 3) AS resident_ratio, fixed_bytes, other_bytes, buffer_growth_bytes,
        CAST(ceil(used_memory * (resident_ratio + copy_ratio)) + constant_bytes AS BIGINT) AS needed_limit_bytes,
        CAST(greatest(0, floor((limit_bytes - constant_bytes) / (resident_ratio + copy_ratio))) AS BIGINT)
          AS safe_maxmemory_bytes,
        CAST(limit_bytes - ceil(used_memory * (resident_ratio + copy_ratio)) - constant_bytes AS BIGINT)
          AS headroom_bytes
      FROM sized
      ORDER BY headroom_bytes
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
      s.execute(INSTANCE_SIZING);
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
                + " CAST(NULL AS VARCHAR) AS container_name")
        // replicas' buffers since RedisSample v5
        .replace("{BUFFERS}", "memClientsNormal AS mem_clients_normal, "
            + (redisColumns.contains("memClientsSlaves") ? "memClientsSlaves" : "CAST(NULL AS BIGINT)")
            + " AS mem_clients_replicas");
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
