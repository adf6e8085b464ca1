package dev.oomwatch.history;

import dev.oomwatch.detect.InstanceState;
import dev.oomwatch.detect.KillRecord;

/**
 * Which snapshots are the story around a fork or a kill, kept at full resolution for the whole
 * retention: from {@code history.fork.before} before a fork to {@code history.fork.after} after it
 * ends, and the incident span around a kill ({@code history.incident.before/after}). Spans are
 * widened to whole buckets, so a bucket of the rolled-up timeline is either entirely in the detail
 * or not at all, and a reader never sees half a bucket twice.
 */
public final class DetailSpans {
  private final HistoryConfig config;

  public DetailSpans(final HistoryConfig config) {
    this.config = config;
  }

  /** Whether a snapshot at {@code ts}, of an instance whose state has seen it, belongs in the detail. */
  public boolean keeps(final InstanceState state, final long ts, final boolean forking) {
    if (forking || state.forkStartMs != null) {
      return true;
    }
    if (state.lastForkEndMs != null && ts >= state.lastForkEndMs && ts <= forkTo(state.lastForkEndMs)) {
      return true;
    }
    final KillRecord kill = state.lastKill;
    return kill != null && ts >= killFrom(kill.timestampMs()) && ts <= killTo(kill.timestampMs());
  }

  /** Where the detail of a fork that started at {@code forkStartMs} begins. */
  public long forkFrom(final long forkStartMs) {
    return config.bucketStart(forkStartMs - config.forkBefore().toMillis());
  }

  /** The last millisecond of the detail of a fork that ended at {@code forkEndMs}. */
  public long forkTo(final long forkEndMs) {
    return config.bucketEnd(forkEndMs + config.forkAfter().toMillis()) - 1;
  }

  public long killFrom(final long killMs) {
    return config.bucketStart(killMs - config.incidentBefore().toMillis());
  }

  /** The last millisecond of a kill's detail. */
  public long killTo(final long killMs) {
    return config.bucketEnd(killMs + config.incidentAfter().toMillis()) - 1;
  }
}
