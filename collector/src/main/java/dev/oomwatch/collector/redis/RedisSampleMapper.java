package dev.oomwatch.collector.redis;

import dev.oomwatch.collector.container.ContainerRef;
import dev.oomwatch.collector.container.PodNames;
import dev.oomwatch.collector.identity.Identity;
import dev.oomwatch.collector.identity.ServerLocator;
import dev.oomwatch.schema.ClientBuffer;
import dev.oomwatch.schema.RedisConfig;
import dev.oomwatch.schema.RedisSample;
import java.util.List;

/** INFO, CLIENT LIST and CONFIG, already parsed, into one {@link RedisSample}. Pure. */
public final class RedisSampleMapper {
  private RedisSampleMapper() {}

  /** Each replica's state, from INFO replication's slaveN lines (ip=...,port=...,state=wait_bgsave,...). */
  static List<String> replicaStates(final RedisInfo info) {
    final List<String> states = new java.util.ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      final String line = info.text("slave" + i);
      if (line == null) {
        break;
      }
      for (final String part : line.split(",")) {
        if (part.startsWith("state=")) {
          states.add(part.substring(6));
        }
      }
    }
    return states;
  }

  /** What one round of sampling produced; clients and config are null when not read. */
  public record Reading(RedisInfo info, ClientList clients, Long clientsReadAtMs, RedisConfig config,
      List<String> unavailable, long durationMs) {}

  public static RedisSample map(
      final String host, final String instance, final long timestampMs, final Reading reading, final int topClients) {
    final RedisInfo info = reading.info();
    final RedisSample.Builder b = RedisSample.newBuilder()
        .setHost(host)
        .setInstance(instance)
        .setTimestampMs(timestampMs)
        .setReachable(true)
        .setSampleDurationMs(reading.durationMs())
        .setRedisVersion(info.text("redis_version"))
        .setValkeyVersion(info.text("valkey_version"))
        .setRunId(info.text("run_id"))
        .setProcessId(info.number("process_id"))
        .setUptimeInSeconds(info.number("uptime_in_seconds"))
        .setExecutable(info.text("executable"))
        .setConfigFile(info.text("config_file"))
        .setUsedMemory(info.number("used_memory"))
        .setUsedMemoryRss(info.number("used_memory_rss"))
        .setUsedMemoryPeak(info.number("used_memory_peak"))
        .setUsedMemoryDataset(info.number("used_memory_dataset"))
        .setMemFragmentationRatio(info.ratio("mem_fragmentation_ratio"))
        .setMemFragmentationBytes(info.number("mem_fragmentation_bytes"))
        .setAllocatorFragRatio(info.ratio("allocator_frag_ratio"))
        .setAllocatorResident(info.number("allocator_resident"))
        .setMemClientsNormal(info.number("mem_clients_normal"))
        .setMemTotalReplicationBuffers(info.number("mem_total_replication_buffers"))
        .setMaxmemory(info.number("maxmemory"))
        .setMaxmemoryPolicy(info.text("maxmemory_policy"))
        .setTotalSystemMemory(info.number("total_system_memory"))
        .setRdbBgsaveInProgress(info.flag("rdb_bgsave_in_progress"))
        .setAofRewriteInProgress(info.flag("aof_rewrite_in_progress"))
        .setModuleForkInProgress(info.flag("module_fork_in_progress"))
        .setRdbLastCowSize(info.number("rdb_last_cow_size"))
        .setRdbLastSaveTimeMs(info.number("rdb_last_save_time") == null ? null : info.number("rdb_last_save_time") * 1000)
        .setAofLastCowSize(info.number("aof_last_cow_size"))
        .setCurrentCowSize(info.number("current_cow_size"))
        .setCurrentCowPeak(info.number("current_cow_peak"))
        .setCurrentForkPerc(info.ratio("current_fork_perc"))
        .setCurrentSaveKeysProcessed(info.number("current_save_keys_processed"))
        .setCurrentSaveKeysTotal(info.number("current_save_keys_total"))
        .setRdbLastBgsaveStatus(info.text("rdb_last_bgsave_status"))
        .setAofEnabled(info.flag("aof_enabled"))
        .setRdbChangesSinceLastSave(info.number("rdb_changes_since_last_save"))
        .setLatestForkUsec(info.number("latest_fork_usec"))
        .setTotalForks(info.number("total_forks"))
        .setEvictedKeys(info.number("evicted_keys"))
        .setRejectedConnections(info.number("rejected_connections"))
        .setClientOutputBufferLimitDisconnections(info.number("client_output_buffer_limit_disconnections"))
        .setConnectedClients(info.number("connected_clients"))
        .setClientRecentMaxOutputBuffer(info.number("client_recent_max_output_buffer"))
        .setBlockedClients(info.number("blocked_clients"))
        .setErrorstats(info.errorstats())
        .setRole(info.text("role"))
        .setConnectedSlaves(info.number("connected_slaves"))
        .setReplBacklogSize(info.number("repl_backlog_size"))
        .setMemClientsSlaves(info.number("mem_clients_slaves"))
        .setMemReplicationBacklog(info.number("mem_replication_backlog"))
        .setAofLastBgrewriteStatus(info.text("aof_last_bgrewrite_status"))
        .setSyncFull(info.number("sync_full"))
        .setReplicaStates(replicaStates(info))
        .setTotalKeys(info.fields().isEmpty() ? null : info.totalKeys())
        .setConfig(reading.config())
        .setUnavailable(reading.unavailable());
    final ClientList clients = reading.clients();
    if (clients != null) {
      b.setTopClients(clients.topByOutputBuffer(topClients).stream().map(RedisSampleMapper::buffer).toList())
          .setMonitorClients(clients.monitorCount())
          .setTotalClientOmem(clients.totalOmem())
          .setClientListReadAtMs(reading.clientsReadAtMs());
    }
    return b.build();
  }

  /** The sample with where it runs on the host: the process it resolved to and its container. */
  public static RedisSample withPlacement(final RedisSample sample, final ServerLocator.Located located) {
    if (located == null) {
      return sample;
    }
    final Identity id = located.identity();
    sample.setConnectedAddress(located.connectedAddress());
    sample.setIdentity(id.status().name());
    sample.setIdentityEvidence(id.evidence());
    sample.setServerHostPid(id.hostPid());
    final ContainerRef c = located.container();
    if (c != null) {
      sample.setPodUid(c.podUid());
      sample.setContainerId(c.containerId());
    }
    final PodNames names = located.names();
    if (names != null) {
      sample.setPodName(names.podName());
      sample.setPodNamespace(names.podNamespace());
      sample.setContainerName(names.containerName());
    }
    return sample;
  }

  /** A sample that says the instance could not be read, and why. Everything else is null. */
  public static RedisSample unreachable(
      final String host, final String instance, final long timestampMs, final String reason) {
    return RedisSample.newBuilder()
        .setHost(host)
        .setInstance(instance)
        .setTimestampMs(timestampMs)
        .setReachable(false)
        .setUnreachableReason(reason)
        .build();
  }

  private static ClientBuffer buffer(final ClientList.Client c) {
    return ClientBuffer.newBuilder()
        .setId(c.id())
        .setAddr(c.addr())
        .setName(c.name())
        .setCmd(c.cmd())
        .setFlags(c.flags())
        .setOmem(c.omem())
        .setTotMem(c.totMem())
        .build();
  }
}
