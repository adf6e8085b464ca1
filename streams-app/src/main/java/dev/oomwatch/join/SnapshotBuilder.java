package dev.oomwatch.join;

import dev.oomwatch.schema.ClientBuffer;
import dev.oomwatch.schema.RedisConfig;
import dev.oomwatch.schema.RedisSample;

/** A Redis sample and the kernel view valid at its time into one {@link InstanceSnapshot}. Pure. */
public final class SnapshotBuilder {
  private SnapshotBuilder() {}

  public static InstanceSnapshot build(final RedisSample s, final KernelView view) {
    return withKernel(redisOnly(s), view, s.getTimestampMs());
  }

  /**
   * The same Redis figures beside another kernel view, stamped {@code timestampMs}: how a new
   * host sample re-judges an instance between its Redis samples (a fork seen by the kernel first).
   */
  public static InstanceSnapshot withKernel(final InstanceSnapshot r, final KernelView view, final long timestampMs) {
    final KernelView.Proc server = view == null ? null : server(r.pid(), r.identity(), r.instance(), view);
    final KernelView.Proc child = server == null ? null : child(server, view);
    final KernelView.Cgroup cgroup = server == null ? null : server.cgroup();
    return new InstanceSnapshot(r.host(), r.instance(), timestampMs, r.reachable(), r.runId(), r.pid(),
        r.uptimeSeconds(), r.usedMemory(), r.usedMemoryRss(), r.maxmemory(), r.totalSystemMemory(),
        r.fragmentationRatio(), r.lastCowSize(), r.currentCowSize(), r.forkPercent(), r.keysProcessed(),
        r.keysTotal(), r.redisForking(), r.latestForkUsec(), r.totalForks(), r.oomErrors(), r.persistent(),
        r.topClientOmem(), r.topClient(), r.monitorClients(), r.normalBuffersUnlimited(),
        view == null ? null : view.timestampMs(),
        server == null ? null : server.vmRss(),
        child == null ? null : child.pid(),
        child == null ? null : child.vmRss(),
        cgroup == null ? null : cgroup.path(),
        cgroup == null ? null : cgroup.usage(),
        cgroup == null ? null : cgroup.anon(),
        cgroup == null ? null : cgroup.limit(),
        view == null ? null : view.memTotal(),
        r.identity(), r.podName(), r.podNamespace(), r.containerName(),
        cgroup == null ? null : cgroup.workingSet(),
        cgroup == null ? null : cgroup.limitPath(),
        cgroup == null ? null : cgroup.limitPathUsage(),
        cgroup == null ? null : cgroup.version(),
        cgroup == null ? null : cgroup.oomGroup(),
        server == null ? null : server.anonHugePages(),
        r.detail(),
        r.cluster());
  }

  static InstanceSnapshot redisOnly(final RedisSample s) {
    final ClientBuffer top = s.getTopClients() == null || s.getTopClients().isEmpty() ? null : s.getTopClients().get(0);
    return new InstanceSnapshot(
        s.getHost(), s.getInstance(), s.getTimestampMs(), s.getReachable(),
        s.getRunId(), hostPid(s), s.getUptimeInSeconds(),
        s.getUsedMemory(), s.getUsedMemoryRss(), maxmemory(s), s.getTotalSystemMemory(), s.getMemFragmentationRatio(),
        max(s.getRdbLastCowSize(), s.getAofLastCowSize()),
        s.getCurrentCowSize(), s.getCurrentForkPerc(), s.getCurrentSaveKeysProcessed(),
        s.getCurrentSaveKeysTotal() != null && s.getCurrentSaveKeysTotal() > 0 ? s.getCurrentSaveKeysTotal() : s.getTotalKeys(),
        Boolean.TRUE.equals(s.getRdbBgsaveInProgress()) || Boolean.TRUE.equals(s.getAofRewriteInProgress())
            || Boolean.TRUE.equals(s.getModuleForkInProgress()),
        s.getLatestForkUsec(), s.getTotalForks(),
        s.getErrorstats() == null ? null : s.getErrorstats().getOrDefault("OOM", 0L),
        persistent(s),
        top == null ? null : top.getOmem(),
        top == null ? null : (top.getName() == null ? "" : top.getName() + "@") + top.getAddr() + " cmd=" + top.getCmd(),
        s.getMonitorClients(),
        s.getConfig() == null ? null : normalUnlimited(s.getConfig().getClientOutputBufferLimit()),
        null, null, null, null, null, null, null, null, null,
        s.getIdentity(), s.getPodName(), s.getPodNamespace(), s.getContainerName(), null, null, null,
        null, null, null, s.getReachable() ? RedisDetail.of(s) : null, s.getCluster());
  }

  /**
   * The server's pid on the host. A collector that resolves identity says it (null unless exactly
   * one process fits: no guess); an older one sent only Redis's own process_id, right outside
   * containers.
   */
  static Long hostPid(final RedisSample s) {
    return s.getIdentity() != null ? s.getServerHostPid() : s.getProcessId();
  }

  /**
   * The instance's server process. With the collector's identity, by the host pid it resolved and
   * nothing else (AMBIGUOUS or NO_MATCH: none). From an older collector, by the pid Redis reports,
   * else by the port it listens on.
   */
  static KernelView.Proc server(final Long pid, final String identity, final String instance, final KernelView view) {
    if (identity != null) {
      if (pid == null) {
        return null;
      }
      for (final KernelView.Proc p : view.processes()) {
        if (!p.forkChild() && p.pid() == pid) {
          return p;
        }
      }
      return null;
    }
    KernelView.Proc byPort = null;
    final int port = port(instance);
    for (final KernelView.Proc p : view.processes()) {
      if (p.forkChild()) {
        continue;
      }
      if (pid != null && p.pid() == pid) {
        return p;
      }
      if (port > 0 && p.ports().contains(port)) {
        byPort = p;
      }
    }
    return byPort;
  }

  static KernelView.Proc child(final KernelView.Proc server, final KernelView view) {
    for (final KernelView.Proc p : view.processes()) {
      if (p.forkChild() && p.serverPid() == server.pid()) {
        return p;
      }
    }
    return null;
  }

  static int port(final String instance) {
    final int colon = instance.lastIndexOf(':');
    if (colon < 0) {
      return -1;
    }
    try {
      return Integer.parseInt(instance.substring(colon + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static Long maxmemory(final RedisSample s) {
    if (s.getMaxmemory() != null) {
      return s.getMaxmemory();
    }
    return s.getConfig() == null ? null : s.getConfig().getMaxmemory();
  }

  /** RDB snapshots on (a non-empty save) or AOF on; null when neither INFO nor CONFIG says. */
  static Boolean persistent(final RedisSample s) {
    final RedisConfig config = s.getConfig();
    if (config != null && (config.getSave() != null || config.getAppendonly() != null)) {
      return (config.getSave() != null && !config.getSave().isBlank()) || Boolean.TRUE.equals(config.getAppendonly());
    }
    return Boolean.TRUE.equals(s.getAofEnabled()) ? Boolean.TRUE : null;
  }

  /** client-output-buffer-limit's normal class with hard and soft 0 means no limit at all. */
  static Boolean normalUnlimited(final String limits) {
    if (limits == null) {
      return null;
    }
    final String[] parts = limits.trim().split("\\s+");
    for (int i = 0; i + 2 < parts.length; i += 4) {
      if (parts[i].equals("normal")) {
        return "0".equals(parts[i + 1]) && "0".equals(parts[i + 2]);
      }
    }
    return null;
  }

  private static Long max(final Long a, final Long b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : Math.max(a, b);
  }
}
