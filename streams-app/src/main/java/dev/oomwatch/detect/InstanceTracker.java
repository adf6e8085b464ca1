package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.KernelEventKind;
import java.util.List;

/**
 * Folds each new snapshot and kernel event into an {@link InstanceState}: fork start and end with
 * the pre-fork baseline, restarts (a new run_id or uptime going back) and their cause, the pids
 * that belong to the instance. Pure.
 */
public final class InstanceTracker {
  private static final int MAX_PIDS = 16;

  private InstanceTracker() {}

  public static void observe(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    state.lastSeenMs = Math.max(state.lastSeenMs, now.timestampMs());
    if (!now.reachable()) {
      append(state, now, config);
      return;
    }
    restart(state, now, config);
    fork(state, now, config);
    if (now.pid() != null) {
      remember(state.serverPids, now.pid());
    }
    if (now.childPid() != null) {
      remember(state.childPids, now.childPid());
    }
    if (now.cgroupPath() != null) {
      state.cgroupPath = now.cgroupPath();
    }
    fragmentation(state, now, config);
    oomErrors(state, now);
    fullSyncs(state, now);
    append(state, now, config);
  }

  /** Each rise of sync_full is a full sync served (a fork); kept for an hour. A restart resets the counter. */
  private static void fullSyncs(final InstanceState state, final InstanceSnapshot now) {
    final Long syncs = now.detail() == null ? null : now.detail().syncFull();
    if (syncs == null) {
      return;
    }
    if (state.lastSyncFull != null && syncs > state.lastSyncFull) {
      // each full sync served since the last look, at most a hundred kept
      for (long i = state.lastSyncFull; i < syncs && state.fullSyncsMs.size() < 100; i++) {
        state.fullSyncsMs.add(now.timestampMs());
      }
    }
    state.lastSyncFull = syncs;
    state.fullSyncsMs.removeIf(t -> now.timestampMs() - t > 3_600_000);
  }

  /** Records a kill of this instance's process; {@code role} from {@link KillAttribution}. */
  public static void kill(final InstanceState state, final KernelEvent event, final String role,
      final DetectionConfig config) {
    kill(state, event, new KillAttribution.Attributed(null, role), config);
  }

  /** Records a kill of this instance's process (or, in a group kill, of its whole cgroup). */
  public static void kill(final InstanceState state, final KernelEvent event, final KillAttribution.Attributed who,
      final DetectionConfig config) {
    final String role = who.role();
    final boolean group = event.getGroupKill();
    Long pid = event.getVictimPid();
    Long anon = event.getAnonRss();
    if (group && "SERVER".equals(role) && !"SERVER".equals(who.chosenRole())) {
      // the server died as one of the group: its own line's pid and memory
      for (final dev.oomwatch.schema.OomTask t : event.getGroupVictims()) {
        if (KillAttribution.isServer(t.getPid(), state)) {
          pid = t.getPid();
          anon = t.getAnonRss();
        }
      }
    }
    state.lastKill = new KillRecord(event.getTimestampMs(), pid, role,
        anon, event.getMemcgLimit(), event.getTaskMemcg() != null ? event.getTaskMemcg() : state.cgroupPath,
        event.getKind() == KernelEventKind.OOM_KILL_INFERRED, KillScope.of(event), event.getOomMemcg(),
        group, event.getGroupMemcg(), event.getVictimPid(), who.chosenRole(),
        event.getGroupVictims().stream().map(dev.oomwatch.schema.OomTask::getPid).toList(),
        event.getSpared().stream().map(dev.oomwatch.schema.OomTask::getPid).toList(),
        KillExplanation.of(state, event, role));
    final KillExplanation why = state.lastKill.explanation();
    if (why != null && why.projectedCopyBytes() != null) {
      // the fork it ended counts with what it would have copied: that is what it needed
      state.sizing.forkKilled(event.getTimestampMs(), why.forkKind(), why.usedMemory(), why.projectedCopyBytes(),
          config.sizingWindow().toMillis());
    }
    if ("SERVER".equals(role)) {
      state.forkStartMs = null;
      state.forkBaseline = null;
    }
    if (!"FORK_CHILD".equals(role)) {
      // The kill can be read after the restart it caused (they come on different topics): a restart
      // already recorded soon after the kill's time was this kill's doing.
      final long window = config.killCausesRestartWithin().toMillis();
      state.restarts.replaceAll(r -> "UNKNOWN".equals(r.cause()) && r.timestampMs() >= event.getTimestampMs()
          && r.timestampMs() - event.getTimestampMs() <= window
          ? new RestartRecord(r.timestampMs(), "OOM_KILL", r.previousRunId(), r.runId(), r.uptimeSeconds()) : r);
    }
  }

  private static void restart(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    final InstanceSnapshot before = state.lastRedis;
    if (before != null && before.runId() != null && now.runId() != null && now.timestampMs() > before.timestampMs()) {
      final boolean newRun = !now.runId().equals(before.runId());
      final boolean uptimeBack = before.uptimeSeconds() != null && now.uptimeSeconds() != null
          && now.uptimeSeconds() < before.uptimeSeconds();
      if (newRun || uptimeBack) {
        final KillRecord kill = state.lastKill;
        final boolean byKill = kill != null && !"FORK_CHILD".equals(kill.role())
            && now.timestampMs() - kill.timestampMs() <= config.killCausesRestartWithin().toMillis()
            && kill.timestampMs() >= before.timestampMs() - config.killCausesRestartWithin().toMillis();
        state.restarts.add(new RestartRecord(now.timestampMs(), byKill ? "OOM_KILL" : "UNKNOWN",
            before.runId(), now.runId(), now.uptimeSeconds()));
        if (state.forkStartMs != null) {
          state.lastForkEndMs = now.timestampMs();
        }
        state.forkStartMs = null;
        state.forkBaseline = null;
        state.sizing.forkGone();
      }
    }
    state.restarts.removeIf(r -> now.timestampMs() - r.timestampMs() > Math.max(
        config.restartStormWindow().toMillis(), config.eventHold().toMillis()));
    if (now.runId() != null) {
      state.lastRedis = now;
    }
  }

  private static void fork(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    if (now.forking()) {
      if (state.forkStartMs == null) {
        state.forkStartMs = now.timestampMs();
        state.forkBaseline = baseline(state, now);
        state.lastForkPeak = now.physical();
        state.sizing.forkStarted(now);
      } else {
        if (now.physical() != null) {
          state.lastForkPeak = state.lastForkPeak == null ? now.physical() : Math.max(state.lastForkPeak, now.physical());
        }
        state.sizing.forkRunning(now);
      }
    } else if (state.forkStartMs != null) {
      state.lastForkDurationMs = now.timestampMs() - state.forkStartMs;
      state.lastForkEndMs = now.timestampMs();
      state.forkStartMs = null;
      final long rise = state.lastForkPeak != null && state.forkBaseline != null
          ? state.lastForkPeak - state.forkBaseline : 0;
      state.sizing.forkEnded(now.timestampMs(), Math.max(0, rise), now.lastCowSize(), config.sizingWindow().toMillis());
    }
  }

  /** Physical memory just before the fork: the latest snapshot that was not forking. */
  private static Long baseline(final InstanceState state, final InstanceSnapshot now) {
    if (state.lastQuietPhysical != null) {
      return state.lastQuietPhysical;
    }
    // First sight is mid-fork: the server's own RSS (without the child) is the best baseline left.
    return now.serverRss() != null ? now.serverRss() : now.usedMemoryRss();
  }

  private static void fragmentation(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    final boolean high = now.fragmentationRatio() != null && now.fragmentationRatio() > config.fragmentationRatio()
        && now.usedMemory() != null && now.usedMemory() > config.fragmentationMinBytes();
    if (!high) {
      state.fragmentationHighSinceMs = null;
    } else if (state.fragmentationHighSinceMs == null) {
      state.fragmentationHighSinceMs = now.timestampMs();
    }
  }

  private static void oomErrors(final InstanceState state, final InstanceSnapshot now) {
    if (now.oomErrors() == null) {
      return;
    }
    if (state.lastOomErrors != null && now.oomErrors() > state.lastOomErrors) {
      state.oomErrorsRoseAtMs = now.timestampMs();
    }
    state.lastOomErrors = now.oomErrors();
  }

  private static void append(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    if (now.reachable() && !now.forking() && now.physical() != null) {
      state.lastQuietPhysical = now.physical();
      state.sizing.quiet(now, config.sizingWindow().toMillis());
    }
    state.recent.add(now);
    while (state.recent.size() > config.history()) {
      state.recent.remove(0);
    }
  }

  private static void remember(final List<Long> pids, final long pid) {
    if (!pids.contains(pid)) {
      pids.add(pid);
      while (pids.size() > MAX_PIDS) {
        pids.remove(0);
      }
    }
  }
}
