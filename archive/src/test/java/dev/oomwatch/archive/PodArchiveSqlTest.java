package dev.oomwatch.archive;

import static dev.oomwatch.archive.FixtureRecords.host;
import static dev.oomwatch.archive.FixtureRecords.redis;
import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.sql.ArchiveViews;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * instance_memory on a node of pods: every server is pid 1 in its namespace, so the server is the
 * host pid the collector resolved (serverHostPid), never Redis's own process_id, and the pod's
 * names come along.
 */
class PodArchiveSqlTest {
  private static final long T0 = 1_795_000_000_000L;
  @TempDir Path root;

  @Test
  void eachPodIsJoinedWithItsOwnProcessByItsHostPid() throws Exception {
    final List<RedisSample> redis = new ArrayList<>();
    final List<HostSample> hosts = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      final long ts = T0 + i * 1000L;
      redis.add(pod(redis("node-1", 6379, ts, 100, 120, 1, null, false), "shop/cache-a", 9001, "cache-a"));
      redis.add(pod(redis("node-1", 6379, ts, 200, 230, 1, null, false), "shop/cache-b", 9002, "cache-b"));
      // the kernel sees both servers, each under its host pid; pid 1 is neither
      final HostSample a = host("node-1", ts + 300, 1, 9001, 120, null, 0, "/kubepods/burstable/poda/ca", 125, 121, 300);
      final HostSample b = host("node-1", ts + 300, 1, 9002, 230, null, 0, "/kubepods/burstable/podb/cb", 235, 231, 400);
      final List<dev.oomwatch.schema.ProcessMemory> both = new ArrayList<>(a.getProcesses());
      both.addAll(b.getProcesses());
      a.setProcesses(both);
      hosts.add(a);
    }
    FixtureArchive.write(root, ArchiveType.REDIS_SAMPLES, redis);
    FixtureArchive.write(root, ArchiveType.HOST_SAMPLES, hosts);

    try (Connection db = ArchiveViews.open(root); Statement s = db.createStatement();
        ResultSet rs = s.executeQuery("SELECT instance, pid, server_rss // 1048576, limit_bytes // 1048576, "
            + "pod_namespace, pod_name FROM instance_memory WHERE ts_ms = " + (T0 + 2000) + " ORDER BY instance")) {
      final List<String> rows = new ArrayList<>();
      while (rs.next()) {
        rows.add(rs.getString(1) + " " + rs.getLong(2) + " " + rs.getLong(3) + " " + rs.getLong(4) + " "
            + rs.getString(5) + "/" + rs.getString(6));
      }
      assertThat(rows).containsExactly("shop/cache-a 9001 120 300 shop/cache-a", "shop/cache-b 9002 230 400 shop/cache-b");
    }
  }

  private static RedisSample pod(final RedisSample s, final String instance, final long hostPid, final String name) {
    s.setInstance(instance);
    s.setIdentity("RESOLVED");
    s.setServerHostPid(hostPid);
    s.setPodNamespace("shop");
    s.setPodName(name);
    return s;
  }
}
