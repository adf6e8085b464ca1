package dev.oomwatch.collector.guard;

import dev.oomwatch.schema.RedisSample;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The servers the collector has verified, by host pid: a Redis sample whose connection the
 * collector tied to exactly one host process by the kernel's sockets (identity RESOLVED). What the
 * guard may act on; a process that only calls itself redis-server is never here. Written by the
 * Redis samplers, read by the kernel thread.
 */
public final class VerifiedServers {
  /** One verified server as its latest sample showed it. */
  public record Server(String instance, long hostPid, String forkKind, Long lastGoodSaveMs, long seenAtMs) {}

  private final Map<Long, Server> byPid = new ConcurrentHashMap<>();
  private final Map<String, Long> pidOf = new ConcurrentHashMap<>();

  public void observe(final RedisSample s) {
    final Long pid = "RESOLVED".equals(s.getIdentity()) && s.getReachable() ? s.getServerHostPid() : null;
    final Long before = pid == null ? pidOf.remove(s.getInstance()) : pidOf.put(s.getInstance(), pid);
    if (before != null && !before.equals(pid)) {
      byPid.remove(before);
    }
    if (pid != null) {
      byPid.put(pid, new Server(s.getInstance(), pid, forkKind(s), s.getRdbLastSaveTimeMs(), s.getTimestampMs()));
    }
  }

  public Server get(final long hostPid) {
    return byPid.get(hostPid);
  }

  /** What Redis said it forked for: BGSAVE, AOF_REWRITE, REPLICA_SYNC, MODULE, or null. */
  static String forkKind(final RedisSample s) {
    if (Boolean.TRUE.equals(s.getAofRewriteInProgress())) {
      return "AOF_REWRITE";
    }
    if (Boolean.TRUE.equals(s.getModuleForkInProgress())) {
      return "MODULE";
    }
    if (Boolean.TRUE.equals(s.getRdbBgsaveInProgress())) {
      return s.getReplicaStates() != null && s.getReplicaStates().contains("wait_bgsave") ? "REPLICA_SYNC" : "BGSAVE";
    }
    return null;
  }
}
