package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the streams-app remembers of one instance between records: its recent snapshots (bounded),
 * the fork in progress and its baseline, restarts and kills. Kept in a state store as JSON; the
 * {@link InstanceTracker} updates it, detectors only read it.
 */
public final class InstanceState {
  public List<InstanceSnapshot> recent = new ArrayList<>();
  public InstanceSnapshot lastRedis;
  public Long forkStartMs;
  public Long forkBaseline;
  /** Physical memory of the latest reachable snapshot taken while nothing was forked: the next fork's baseline. */
  public Long lastQuietPhysical;
  public Long lastForkDurationMs;
  /** When the latest fork ended (or the restart that ended it): the history keeps detail a while after. */
  public Long lastForkEndMs;
  public Long lastForkPeak;
  public List<RestartRecord> restarts = new ArrayList<>();
  public KillRecord lastKill;
  /** The latest fork the collector's guard ended (FORK_ABORTED). */
  public AbortRecord lastAbort;
  public Long fragmentationHighSinceMs;
  public Long oomErrorsRoseAtMs;
  public Long lastOomErrors;
  public List<Long> serverPids = new ArrayList<>();
  public List<Long> childPids = new ArrayList<>();
  public String cgroupPath;
  public long lastSeenMs;
  /** When this primary's sync_full rose, within the last hour: each a full sync, a fork. */
  public List<Long> fullSyncsMs = new ArrayList<>();
  public Long lastSyncFull;
  /** Its forks and daily peaks over the sizing window: what its sizing advice is computed from. */
  public dev.oomwatch.sizing.SizingHistory sizing = new dev.oomwatch.sizing.SizingHistory();

  /**
   * The fields a crash must not lose, for comparison before and after a step: when they change the
   * state is written at once. The rest (the latest snapshots, the quiet baseline, last seen) is
   * replaced by the next samples anyway and may be written later.
   */
  public List<Object> transitions() {
    // whether the latest snapshot has the kernel's side: the API shows it, so its first arrival counts
    final boolean kernelSeen = latest() != null && latest().kernelTimestampMs() != null;
    return Arrays.asList(forkStartMs, forkBaseline, lastForkDurationMs, lastForkEndMs, new ArrayList<>(restarts), lastKill,
        fragmentationHighSinceMs, oomErrorsRoseAtMs, lastOomErrors, new ArrayList<>(serverPids),
        new ArrayList<>(childPids), cgroupPath, kernelSeen, lastAbort, new ArrayList<>(fullSyncsMs), sizing.forks.size(),
        sizing.forks.isEmpty() ? null : sizing.forks.get(sizing.forks.size() - 1));
  }

  public InstanceSnapshot latest() {
    return recent.isEmpty() ? null : recent.get(recent.size() - 1);
  }

  public RestartRecord lastRestart() {
    return restarts.isEmpty() ? null : restarts.get(restarts.size() - 1);
  }
}
