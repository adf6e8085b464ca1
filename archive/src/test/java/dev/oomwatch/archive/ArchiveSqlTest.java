package dev.oomwatch.archive;

import static dev.oomwatch.archive.FixtureRecords.T0;
import static dev.oomwatch.archive.FixtureRecords.alert;
import static dev.oomwatch.archive.FixtureRecords.host;
import static dev.oomwatch.archive.FixtureRecords.kill;
import static dev.oomwatch.archive.FixtureRecords.redis;
import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.schema.Severity;
import dev.oomwatch.sql.ArchiveViews;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The views and the README's six analyst questions on a fixture archive: three hosts, one Redis
 * each; cache-a copies most of its data at every fork and is OOM-killed during one; cache-a and
 * cache-c run with vm.overcommit_memory=0. The questions' SQL is read from the README itself, so
 * what the README shows is what is tested.
 */
class ArchiveSqlTest {
  @TempDir static Path root;

  @BeforeAll
  static void writeFixtureArchive() throws Exception {
    final List<RedisSample> redis = new ArrayList<>();
    final List<HostSample> hosts = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      final long ts = T0 + i * 1000L;
      final boolean forking = i >= 50;
      redis.add(redis("cache-a", 6379, ts, 400, 430, 4242, 300L, forking));
      hosts.add(host("cache-a", ts + 300, 0, 4242, 430, forking ? 5000L : null, 10 + (i - 50) * 15L, "/redis-a",
          440 + (forking ? (i - 49) * 15 : 0), 435 + (forking ? (i - 49) * 15 : 0), 600));
      redis.add(redis("cache-b", 6379, ts, 200, 210, 77, 20L, false));
      hosts.add(host("cache-b", ts + 300, 1, 77, 210, null, 0, "/redis-b", 215, 212, 2048));
      redis.add(redis("cache-c", 6380, ts, 100, 180, 88, 60L, false));
      hosts.add(host("cache-c", ts + 300, 0, 88, 180, null, 0, "/redis-c", 190, 185, 1024));
    }
    // an hour later the same hosts still report, into the next hour's partition
    redis.add(redis("cache-b", 6379, T0 + 3_600_000, 210, 220, 77, 20L, false));
    hosts.add(host("cache-b", T0 + 3_600_300, 1, 77, 220, null, 0, "/redis-b", 225, 222, 2048));
    FixtureArchive.write(root, ArchiveType.REDIS_SAMPLES, redis);
    FixtureArchive.write(root, ArchiveType.HOST_SAMPLES, hosts);
    FixtureArchive.write(root, ArchiveType.KERNEL_EVENTS, List.of(kill("cache-a", T0 + 59_800, 4242, "/redis-a")));
    FixtureArchive.write(root, ArchiveType.ALERTS, List.of(
        alert("cache-a", "cache-a:6379", AlertType.COW_HEADROOM_LOW, Severity.WARNING, AlertStatus.FIRING, T0 + 1_000),
        alert("cache-a", "cache-a:6379", AlertType.FORK_OOM_IMMINENT, Severity.CRITICAL, AlertStatus.FIRING, T0 + 52_000),
        alert("cache-a", "cache-a:6379", AlertType.KERNEL_OOM_KILL, Severity.CRITICAL, AlertStatus.FIRING, T0 + 59_800),
        alert("cache-c", "cache-c:6380", AlertType.COW_HEADROOM_LOW, Severity.WARNING, AlertStatus.FIRING, T0 + 2_000),
        alert("cache-c", "cache-c:6380", AlertType.COW_HEADROOM_LOW, Severity.WARNING, AlertStatus.RESOLVED, T0 + 40_000)));
  }

  @Test
  void everyTypeIsAViewWithItsPartitionsAndLineage() throws Exception {
    assertThat(rows("SELECT count(*), count(DISTINCT hour), min(date)::VARCHAR FROM redis_samples"))
        .containsExactly(List.of("181", "2", "2026-11-26"));
    assertThat(rows("SELECT count(*) FROM host_samples WHERE processes[1].cgroup.\"limit\" = 600 * 1048576"))
        .containsExactly(List.of("60"));
    assertThat(rows("SELECT evidence['limitBytes'] FROM alerts LIMIT 1")).containsExactly(List.of("600"));
    assertThat(rows("SELECT count(DISTINCT kafka_offset), max(kafka_offset) FROM kernel_events"))
        .containsExactly(List.of("1", "0"));
  }

  @Test
  void instanceMemoryPutsTheKernelsFiguresBesideRedissOwn() throws Exception {
    // at 55 s cache-a is forking: its cgroup's anonymous memory (kernel sample of 54.3 s) is 510 MB
    // against 400 MB of data
    assertThat(rows("SELECT used_memory // 1048576, physical // 1048576, limit_bytes // 1048576, forking, child_pid "
        + "FROM instance_memory WHERE instance = 'cache-a:6379' AND ts_ms = " + (T0 + 55_000)))
        .containsExactly(List.of("400", "510", "600", "true", "5000"));
    assertThat(rows("SELECT count(*) FROM instance_memory WHERE physical IS NULL")).containsExactly(List.of("0"));
  }

  @Test
  void instanceSizingAdvisesEachInstanceFromItsOwnForksRiskiestFirst() throws Exception {
    final List<List<String>> sized = rows("SELECT instance, copy_basis, forks_seen, forks_unfinished, resident_ratio, "
        + "needed_limit_bytes // 1048576, safe_maxmemory_bytes // 1048576, headroom_bytes // 1048576 FROM instance_sizing");
    // cache-a's one fork ended in its kill: counted as a full copy of its 430 MB resident (1.075 per byte of
    // data) on top of them, and 5 MB of other memory: 400 x 2.15 + 5 = 865 MB against its 600 MB limit
    assertThat(sized).extracting(r -> r.get(0)).containsExactly("cache-a:6379", "cache-c:6380", "cache-b:6379");
    assertThat(sized.get(0)).containsExactly("cache-a:6379", "measured, an unfinished fork as a full copy", "1", "1",
        "1.075", "865", "276", "-265");
    // never forked: sized for a full copy; 100 MB of data resident as 180 MB
    assertThat(sized.get(1)).containsExactly("cache-c:6380", "full copy", "0", "0", "1.8", "365", "283", "659");
  }

  @Test
  void theReadmesQuestionsGiveTheExpectedAnswers() throws Exception {
    final List<String> queries = readmeQueries();
    assertThat(queries).as("six questions in the README").hasSize(6);
    // 1. whose last fork copied more than half its data
    assertThat(rows(queries.get(0))).extracting(r -> r.get(0)).containsExactly("cache-a:6379", "cache-c:6380");
    // 2. RSS against used_memory before each kill: 400 MB of data, 570 MB physical, limit 600 MB
    assertThat(rows(queries.get(1))).hasSize(1).first().satisfies(r ->
        assertThat(r).contains("cache-a:6379", "400", "430", "570", "600"));
    // 3. hosts still on overcommit 0
    assertThat(rows(queries.get(2))).extracting(r -> r.get(0)).containsExactly("cache-a", "cache-c");
    // 4. alert types by firings
    assertThat(rows(queries.get(3))).extracting(r -> r.get(0) + "=" + r.get(1))
        .containsExactly("COW_HEADROOM_LOW=2", "FORK_OOM_IMMINENT=1", "KERNEL_OOM_KILL=1");
    // 5. closest to the limit first
    assertThat(rows(queries.get(4))).extracting(r -> r.get(0))
        .containsExactly("cache-a:6379", "cache-c:6380", "cache-b:6379");
    // 6. the one its own worst fork kills next: cache-a, 400 MB of data needing 865 MB, 276 MB fitting its 600
    assertThat(rows(queries.get(5))).containsExactly(
        List.of("cache-a:6379", "400", "600", "1", "276", "865", "measured, an unfinished fork as a full copy"));
  }

  /** The ```sql blocks of the README's "Questions for the archive" section, in order. */
  static List<String> readmeQueries() throws Exception {
    final String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    final int start = readme.indexOf("### Questions for the archive");
    assertThat(start).as("the README's questions section").isPositive();
    final int end = readme.indexOf("\n## ", start);
    final Matcher m = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL).matcher(readme.substring(start, end));
    final List<String> queries = new ArrayList<>();
    while (m.find()) {
      // each block is the command as one would type it: bin/oomwatch sql "..."
      final String command = m.group(1).trim();
      queries.add(command.substring(command.indexOf('"') + 1, command.lastIndexOf('"')).trim());
    }
    return queries;
  }

  private static List<List<String>> rows(final String sql) throws Exception {
    try (Connection db = ArchiveViews.open(root); Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      final ResultSetMetaData meta = rs.getMetaData();
      final List<List<String>> rows = new ArrayList<>();
      while (rs.next()) {
        final List<String> row = new ArrayList<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          row.add(String.valueOf(rs.getObject(i)));
        }
        rows.add(row);
      }
      return rows;
    }
  }
}
