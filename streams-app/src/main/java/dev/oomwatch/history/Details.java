package dev.oomwatch.history;

import dev.oomwatch.detect.InstanceState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Keeps the snapshots around forks and kills ({@link DetailSpans}) for the retention, as chunks:
 * while an instance is in a span only the span's start is remembered (its snapshots are in the
 * full-resolution store already); when the span ends, or every {@code history.page} while it goes
 * on, its stretch is copied out of the full-resolution store as one record. One write per fork
 * rather than one per snapshot: a fork's minutes of 200 ms kernel looks were a quarter of all
 * timeline writes at six forks an hour.
 */
final class Details {
  private final HistoryConfig config;
  private final DetailSpans spans;
  private final WindowStore<String, TimelinePoint> full;
  private final WindowStore<String, DetailChunk> detail;
  /** Per instance in a span: {first ms of the stretch not yet written, last ms in the span}. */
  private final Map<String, long[]> open = new HashMap<>();
  /**
   * Instances met since this task started: a span open before it is taken up on the first meeting.
   * Bounded (pods come and go): one forgotten and met again is taken up again, after the last chunk.
   */
  private final Set<String> met = java.util.Collections.newSetFromMap(new java.util.LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(final Map.Entry<String, Boolean> eldest) {
      return size() > MET;
    }
  });
  private static final int MET = 100_000;

  Details(final HistoryConfig config, final WindowStore<String, TimelinePoint> full,
      final WindowStore<String, DetailChunk> detail) {
    this.config = config;
    this.spans = new DetailSpans(config);
    this.full = full;
    this.detail = detail;
  }

  /** A snapshot already in the full-resolution store, after the instance's state has seen it. */
  void snapshot(final String key, final long ts, final InstanceState state, final boolean forking,
      final boolean forkStarted) {
    if (met.add(key)) {
      takeUp(key, ts, state, forking);
    }
    long[] chunk = open.get(key);
    if (spans.keeps(state, ts, forking)) {
      if (chunk == null) {
        chunk = new long[] {forkStarted ? spans.forkFrom(ts) : ts, ts};
        open.put(key, chunk);
      }
      chunk[1] = Math.max(chunk[1], ts);
      if (ts - chunk[0] >= config.page().toMillis()) {
        // a long fork: written as it goes, while the full-resolution store still holds its start
        write(key, chunk[0], ts);
        chunk[0] = ts + 1;
      }
    } else if (chunk != null && ts > chunk[1]) {
      write(key, chunk[0], chunk[1]);
      open.remove(key);
    }
  }

  /** A kill of the instance: its incident span, from before the kill (copied now) to after it. */
  void kill(final String key, final long killMs, final InstanceState state) {
    final long latest = state.latest() == null ? killMs : Math.max(killMs, state.latest().timestampMs());
    if (met.add(key)) {
      takeUp(key, latest, state, false);
    }
    final long[] chunk = open.get(key);
    final long to = Math.min(spans.killTo(killMs), latest);
    if (chunk == null) {
      open.put(key, new long[] {spans.killFrom(killMs), to});
    } else {
      chunk[0] = Math.min(chunk[0], spans.killFrom(killMs));
      chunk[1] = Math.max(chunk[1], to);
    }
  }

  /** Writes the spans of instances that stream time has left behind (gone quiet or gone); returns how many. */
  int flushBefore(final long streamTimeMs) {
    final long grace = 2 * config.bucket().toMillis();
    final List<String> done = new ArrayList<>();
    open.forEach((key, chunk) -> {
      if (chunk[1] + grace < streamTimeMs) {
        write(key, chunk[0], chunk[1]);
        done.add(key);
      }
    });
    done.forEach(open::remove);
    return done.size();
  }

  /**
   * The first snapshot of an instance since this task started (a restart, a move, or a new
   * instance): a span its state says may have been open is taken up after the last chunk written.
   */
  private void takeUp(final String key, final long ts, final InstanceState state, final boolean forking) {
    long start = Long.MAX_VALUE;
    long end = Long.MIN_VALUE;
    final long horizon = ts - config.full().toMillis() + 2 * config.bucket().toMillis();
    final List<long[]> candidates = new ArrayList<>();
    if (state.forkStartMs != null) {
      candidates.add(new long[] {spans.forkFrom(state.forkStartMs), ts});
    }
    if (state.lastForkEndMs != null && state.lastForkDurationMs != null) {
      candidates.add(new long[] {spans.forkFrom(state.lastForkEndMs - state.lastForkDurationMs),
          spans.forkTo(state.lastForkEndMs)});
    }
    if (state.lastKill != null) {
      candidates.add(new long[] {spans.killFrom(state.lastKill.timestampMs()), spans.killTo(state.lastKill.timestampMs())});
    }
    for (final long[] c : candidates) {
      if (c[1] >= horizon && c[0] <= ts) {
        start = Math.min(start, c[0]);
        end = Math.max(end, c[1]);
      }
    }
    if (start == Long.MAX_VALUE) {
      return;
    }
    long from = Math.max(start, horizon);
    try (WindowStoreIterator<DetailChunk> it = detail.backwardFetch(key,
        Instant.ofEpochMilli(horizon - config.full().toMillis() - config.page().toMillis()), Instant.ofEpochMilli(ts))) {
      if (it.hasNext()) {
        from = Math.max(from, it.next().value.lastMs() + 1);
      }
    }
    final long to = Math.min(end, ts);
    if (from > to) {
      return;
    }
    if (spans.keeps(state, ts, forking)) {
      open.put(key, new long[] {from, to});
    } else {
      write(key, from, to);
    }
  }

  private void write(final String key, final long fromMs, final long toMs) {
    final List<TimelinePoint> points = new ArrayList<>();
    try (WindowStoreIterator<TimelinePoint> it = full.fetch(key, Instant.ofEpochMilli(fromMs), Instant.ofEpochMilli(toMs))) {
      it.forEachRemaining(kv -> points.add(kv.value));
    }
    if (!points.isEmpty()) {
      detail.put(key, new DetailChunk(points), points.get(0).timestampMs());
    }
  }
}
