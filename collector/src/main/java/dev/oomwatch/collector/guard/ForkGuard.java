package dev.oomwatch.collector.guard;

import dev.oomwatch.collector.CollectorMetrics;
import dev.oomwatch.schema.CgroupMemory;
import dev.oomwatch.schema.ForkAbort;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.KernelEventKind;
import dev.oomwatch.schema.KernelEventSource;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.ProcessRole;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The opt-in fork guard: at every host sample (200 ms while a fork runs) it projects each fork's
 * physical memory {@code guard.margin.ahead} ahead at the rate it grew, and when that passes the
 * limit less {@code guard.margin} it ends the fork child with SIGUSR1 before the kernel ends the
 * server (or, under {@code memory.oom.group}, the whole container). Decided here, on the node, with
 * no round trip through Kafka. It acts only on the fork child (by the kernel's ppid) of a server the
 * collector verified by its socket ({@link VerifiedServers}), never on the server, never on a
 * process by what it says of itself; at most {@code guard.max.aborts} times per instance per
 * {@code guard.window} ({@link AbortBudget}). Each abort is published as a FORK_ABORTED event.
 */
public final class ForkGuard implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ForkGuard.class);

  private final GuardConfig config;
  private final VerifiedServers verified;
  private final ChildSignal signal;
  private final Consumer<KernelEvent> sink;
  private final CollectorMetrics metrics;
  private final String host;
  private final boolean canSignal;
  private final AbortBudget budget;
  private final Map<Long, ForkProjection> forks = new HashMap<>();
  private final Set<Long> decided = new HashSet<>();
  private final Set<String> toldStandingDown = new HashSet<>();
  private final Set<Long> toldUnverified = new HashSet<>();
  private final ExecutorService actions = Executors.newSingleThreadExecutor(r -> {
    final Thread t = new Thread(r, "oomwatch-guard");
    t.setDaemon(true);
    return t;
  });

  /** What the kernel thread decided, for the guard's thread to carry out. */
  private record Decision(String instance, long serverPid, long childPid, long childStart, String forkKind,
      long forkStartedMs, long physical, long projected, long growth, long limit, String cgroup, long decidedAtMs,
      int abortsInWindow, Long standsDownUntilMs, Long lastGoodSaveMs) {}

  public ForkGuard(final GuardConfig config, final VerifiedServers verified, final Path proc,
      final Consumer<KernelEvent> sink, final CollectorMetrics metrics, final String host, final boolean canSignal) {
    this.config = config;
    this.verified = verified;
    this.signal = new ChildSignal(proc);
    this.sink = sink;
    this.metrics = metrics;
    this.host = host;
    this.canSignal = canSignal;
    this.budget = new AbortBudget(config.maxAborts(), config.window().toMillis());
    metrics.guardReady.set(canSignal ? 1 : 0);
  }

  /** One host sample: every fork child on the host judged. Called by the kernel thread only. */
  public void consider(final HostSample sample) {
    final long now = sample.getTimestampMs();
    final Map<Long, ProcessMemory> servers = new HashMap<>();
    final Set<Long> children = new HashSet<>();
    for (final ProcessMemory p : sample.getProcesses()) {
      if (p.getRole() == ProcessRole.SERVER) {
        servers.put(p.getPid(), p);
      }
    }
    for (final ProcessMemory child : sample.getProcesses()) {
      if (child.getRole() != ProcessRole.FORK_CHILD || !servers.containsKey(child.getServerPid())) {
        continue;
      }
      children.add(child.getPid());
      final VerifiedServers.Server server = verified.get(child.getServerPid());
      if (server == null) {
        if (toldUnverified.add(child.getPid())) {
          metrics.guardUnverified.incrementAndGet();
          LOG.debug("fork guard: child {} of pid {} left alone: no sample ties that server to a socket",
              child.getPid(), child.getServerPid());
        }
        continue;
      }
      final Figures f = figures(servers.get(child.getServerPid()), child, sample);
      if (f == null) {
        continue;
      }
      final ForkProjection fork = forks.computeIfAbsent(child.getPid(), pid -> new ForkProjection(now));
      fork.look(now, f.physical());
      if (decided.contains(child.getPid())) {
        continue;
      }
      final long projected = fork.projected(config.ahead().toMillis());
      if (projected < Math.round(f.limit() * (1 - config.marginShare()))) {
        continue;
      }
      decide(server, child, fork, f, projected, now);
    }
    forks.keySet().retainAll(children);
    decided.retainAll(children);
    toldUnverified.retainAll(children);
  }

  private void decide(final VerifiedServers.Server server, final ProcessMemory child, final ForkProjection fork,
      final Figures f, final long projected, final long now) {
    final String instance = server.instance();
    if (!budget.allows(instance, now)) {
      if (toldStandingDown.add(instance + "@" + budget.standsDownUntil(instance))) {
        metrics.guardStoodDown.incrementAndGet();
        LOG.warn("fork guard: the fork of {} (child {}) is projected at {} MB of its {} MB limit, but the guard "
            + "ended {} of its forks within {}: it stands down for this instance until {}; the kernel decides",
            instance, child.getPid(), projected >> 20, f.limit() >> 20, budget.max(), config.window(),
            java.time.Instant.ofEpochMilli(budget.standsDownUntil(instance)));
      }
      return;
    }
    final ChildSignal.Stat stat = signal.stat(child.getPid());
    if (stat == null || stat.ppid() != server.hostPid()) {
      return;
    }
    decided.add(child.getPid());
    if (!canSignal) {
      LOG.error("fork guard: would end the fork child {} of {} (projected {} MB of {} MB) but cannot signal it: "
          + "no CAP_KILL (start the collector with OOMWATCH_GUARD_ENABLED=true so that it keeps it)",
          child.getPid(), instance, projected >> 20, f.limit() >> 20);
      return;
    }
    final int n = budget.spend(instance, now);
    final Decision d = new Decision(instance, server.hostPid(), child.getPid(), stat.startTime(), server.forkKind(),
        fork.startedMs, f.physical(), projected, fork.growthPerSecond(), f.limit(), f.cgroup(), now, n,
        n >= budget.max() ? budget.standsDownUntil(instance) : null, server.lastGoodSaveMs());
    actions.execute(() -> act(d));
  }

  private void act(final Decision d) {
    try {
      if (!signal.isChild(d.childPid(), d.serverPid(), d.childStart())) {
        LOG.info("fork guard: the fork child {} of {} ended by itself before the signal", d.childPid(), d.instance());
        return;
      }
      final long signalledAt = System.currentTimeMillis();
      signal.usr1(d.childPid());
      final Long exitedAt = signal.awaitExit(d.childPid(), d.serverPid(), d.childStart(), 1_000);
      metrics.guardAborts.incrementAndGet();
      LOG.warn("fork guard: ended the {} child {} of {} (server pid {}): {} MB of its {} MB limit, projected {} MB "
          + "in {} ms at {} MB/s; exited {} ms after the decision; abort {} of {} within {}",
          d.forkKind() == null ? "fork" : d.forkKind(), d.childPid(), d.instance(), d.serverPid(), d.physical() >> 20,
          d.limit() >> 20, d.projected() >> 20, config.ahead().toMillis(), d.growth() >> 20,
          exitedAt == null ? "over 1000" : String.valueOf(exitedAt - d.decidedAtMs()), d.abortsInWindow(),
          config.maxAborts(), config.window());
      sink.accept(KernelEvent.newBuilder().setHost(host).setTimestampMs(d.decidedAtMs())
          .setKind(KernelEventKind.FORK_ABORTED).setSource(KernelEventSource.GUARD)
          .setVictimPid(d.childPid()).setTaskMemcg(d.cgroup()).setMemcgLimit(d.limit()).setMemcgUsage(d.physical())
          .setForkAbort(ForkAbort.newBuilder().setInstance(d.instance()).setServerPid(d.serverPid())
              .setChildPid(d.childPid()).setForkKind(d.forkKind()).setForkStartedMs(d.forkStartedMs())
              .setPhysicalBytes(d.physical()).setProjectedBytes(d.projected()).setGrowthBytesPerSecond(d.growth())
              .setLimitBytes(d.limit()).setMarginShare(config.marginShare()).setMarginAheadMs(config.ahead().toMillis())
              .setDecidedAtMs(d.decidedAtMs()).setSignalledAtMs(signalledAt).setExitedAtMs(exitedAt)
              .setAbortsInWindow(d.abortsInWindow()).setStandsDownUntilMs(d.standsDownUntilMs())
              .setLastGoodSaveMs(d.lastGoodSaveMs()).build())
          .build());
    } catch (RuntimeException e) {
      metrics.guardFailures.incrementAndGet();
      LOG.error("fork guard: could not end the fork child {} of {}: {}", d.childPid(), d.instance(), e.getMessage());
    }
  }

  /** What the kernel counts against the limit the fork will meet. */
  record Figures(long physical, long limit, String cgroup) {}

  /**
   * The server's cgroup's anonymous memory (usage where the kernel does not say) with, when the pod
   * holds the smaller limit, what the rest of the pod uses; against the smallest limit on its path.
   * Without a cgroup limit, the host's used memory against its RAM.
   */
  static Figures figures(final ProcessMemory server, final ProcessMemory child, final HostSample sample) {
    final CgroupMemory cg = server.getCgroup();
    final Long limit = cg == null ? null : cg.getEffectiveLimit() != null ? cg.getEffectiveLimit() : cg.getLimit();
    if (cg != null && limit != null && (cg.getAnon() != null || cg.getUsage() != null)) {
      long own = cg.getAnon() != null ? cg.getAnon() : cg.getUsage();
      if (cg.getLimitPath() != null && !cg.getLimitPath().equals(cg.getPath()) && cg.getLimitPathUsage() != null
          && cg.getUsage() != null) {
        own += Math.max(0, cg.getLimitPathUsage() - cg.getUsage());
      }
      return new Figures(own, limit, cg.getPath());
    }
    if (sample.getMemTotal() != null && sample.getMemAvailable() != null) {
      return new Figures(sample.getMemTotal() - sample.getMemAvailable(), sample.getMemTotal(),
          cg == null ? null : cg.getPath());
    }
    return null;
  }

  @Override
  public void close() {
    actions.shutdownNow();
  }
}
