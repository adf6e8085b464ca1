package dev.oomwatch.join;

import dev.oomwatch.schema.RedisConfig;
import dev.oomwatch.schema.RedisSample;
import java.util.List;

/**
 * What explains an instance's memory and its forks in Redis's own terms, from INFO and CONFIG:
 * the kind of fork running, the parts of its memory, its replication and its persistence.
 * Null parts are parts Redis did not say (an older version, CONFIG not readable).
 *
 * @param forkKind BGSAVE, AOF_REWRITE, REPLICA_SYNC (a BGSAVE while a replica waits for it),
 *     MODULE, or null when nothing forks
 * @param replicasWaiting replicas in {@code wait_bgsave}: the fork running is for their full sync
 * @param writesRefused Redis refuses writes with -MISCONF: its last BGSAVE failed, save points are
 *     set and stop-writes-on-bgsave-error is yes (Redis's writeCommandsDeniedByDiskError)
 * @param replicaBufferLimit the hard client-output-buffer-limit of replicas: how far a replica's
 *     buffer may grow during its full sync before Redis drops it
 */
public record RedisDetail(
    String redisVersion,
    String forkKind,
    Long dataset,
    Long fragmentationBytes,
    Long clientsNormal,
    Long clientsReplicas,
    Long replicationBacklog,
    Long replicationBuffers,
    String role,
    Long connectedReplicas,
    int replicasWaiting,
    Long syncFull,
    Long replBacklogSize,
    String rdbLastBgsaveStatus,
    String aofLastBgrewriteStatus,
    Boolean savePoints,
    Boolean stopWritesOnBgsaveError,
    Boolean writesRefused,
    Boolean disableThp,
    Long replicaBufferLimit) {

  public static RedisDetail of(final RedisSample s) {
    final RedisConfig c = s.getConfig();
    final List<String> replicas = s.getReplicaStates() == null ? List.of() : s.getReplicaStates();
    final int waiting = (int) replicas.stream().filter("wait_bgsave"::equals).count();
    final Boolean savePoints = c == null || c.getSave() == null ? null : !c.getSave().isBlank();
    final Boolean stopWrites = c == null ? null : c.getStopWritesOnBgsaveError();
    final Boolean refused = writesRefused(s.getRdbLastBgsaveStatus(), savePoints, stopWrites);
    return new RedisDetail(
        s.getValkeyVersion() != null ? "valkey " + s.getValkeyVersion() : s.getRedisVersion(),
        forkKind(s, waiting),
        s.getUsedMemoryDataset(),
        s.getMemFragmentationBytes(),
        s.getMemClientsNormal(),
        s.getMemClientsSlaves(),
        s.getMemReplicationBacklog(),
        s.getMemTotalReplicationBuffers(),
        s.getRole(),
        s.getConnectedSlaves(),
        waiting,
        s.getSyncFull(),
        s.getReplBacklogSize(),
        s.getRdbLastBgsaveStatus(),
        s.getAofLastBgrewriteStatus(),
        savePoints,
        stopWrites,
        refused,
        c == null ? null : c.getDisableThp(),
        c == null ? null : replicaHardLimit(c.getClientOutputBufferLimit()));
  }

  /** client-output-buffer-limit's hard limit for replicas ("replica" or its old name "slave"), in bytes. */
  static Long replicaHardLimit(final String limits) {
    if (limits == null) {
      return null;
    }
    final String[] parts = limits.trim().split("\\s+");
    for (int i = 0; i + 1 < parts.length; i += 4) {
      if (parts[i].equals("replica") || parts[i].equals("slave")) {
        try {
          return Long.parseLong(parts[i + 1]);
        } catch (NumberFormatException e) {
          return null;
        }
      }
    }
    return null;
  }

  /** Redis's writeCommandsDeniedByDiskError for RDB: null when a part of it is unknown. */
  static Boolean writesRefused(final String bgsaveStatus, final Boolean savePoints, final Boolean stopWrites) {
    if ("ok".equals(bgsaveStatus) || Boolean.FALSE.equals(savePoints) || Boolean.FALSE.equals(stopWrites)) {
      return Boolean.FALSE;
    }
    if ("err".equals(bgsaveStatus) && Boolean.TRUE.equals(savePoints) && Boolean.TRUE.equals(stopWrites)) {
      return Boolean.TRUE;
    }
    return null;
  }

  /**
   * Redis says which child runs (rdb, aof, module) but not why an RDB child runs: a replica in
   * wait_bgsave says it is for that replica's full sync.
   */
  static String forkKind(final RedisSample s, final int replicasWaiting) {
    if (Boolean.TRUE.equals(s.getRdbBgsaveInProgress())) {
      return replicasWaiting > 0 ? "REPLICA_SYNC" : "BGSAVE";
    }
    if (Boolean.TRUE.equals(s.getAofRewriteInProgress())) {
      return "AOF_REWRITE";
    }
    if (Boolean.TRUE.equals(s.getModuleForkInProgress())) {
      return "MODULE";
    }
    return null;
  }
}
