package dev.oomwatch.history;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Rolls every instance's snapshots up into pages of buckets. The page being filled lives in memory
 * and is written once, when the instance's next page begins or stream time has passed it (an
 * instance that went quiet); a page lost with the process (a crash, a task moved away) is rebuilt
 * from the full-resolution store, which holds longer than a page, on the instance's next snapshot.
 */
final class Rollups {
  private final HistoryConfig config;
  private final WindowStore<String, TimelinePoint> full;
  private final WindowStore<String, RollupPage> pages;
  private final Map<String, RollupPage> open = new HashMap<>();
  private final long bucketMs;
  private final long pageMs;

  Rollups(final HistoryConfig config, final WindowStore<String, TimelinePoint> full,
      final WindowStore<String, RollupPage> pages) {
    this.config = config;
    this.full = full;
    this.pages = pages;
    this.bucketMs = config.bucket().toMillis();
    this.pageMs = config.page().toMillis();
  }

  /** Folds a snapshot already written to the full-resolution store into its instance's page. */
  void add(final String key, final TimelinePoint p) {
    final long pageStart = config.pageStart(p.timestampMs());
    final RollupPage page = open.get(key);
    if (page == null) {
      rebuild(key, p);
    } else if (page.startMs() == pageStart) {
      page.add(p);
    } else if (page.startMs() < pageStart) {
      write(key, page);
      final RollupPage next = newPage(pageStart);
      next.add(p);
      open.put(key, next);
    } else {
      late(key, p);
    }
  }

  /** Writes and forgets the pages that stream time has left behind; returns how many. */
  int flushBefore(final long streamTimeMs) {
    final long grace = 2 * config.bucket().toMillis();
    final List<String> done = new ArrayList<>();
    open.forEach((key, page) -> {
      if (page.startMs() + config.page().toMillis() + grace <= streamTimeMs) {
        write(key, page);
        done.add(key);
      }
    });
    done.forEach(open::remove);
    return done.size();
  }

  int openPages() {
    return open.size();
  }

  /**
   * No page in memory for the instance: after a restart or a move, or a new instance. Takes up from
   * the latest page written, folding what the full-resolution store holds after it (this snapshot
   * included).
   */
  private void rebuild(final String key, final TimelinePoint p) {
    final long ts = p.timestampMs();
    long from = ts - config.full().toMillis();
    RollupPage current = null;
    try (WindowStoreIterator<RollupPage> it = pages.backwardFetch(key, Instant.ofEpochMilli(from - config.page().toMillis()),
        Instant.ofEpochMilli(ts))) {
      if (it.hasNext()) {
        current = it.next().value;
        from = Math.max(from, current.lastMs() + 1);
      }
    }
    if (from > ts) {
      // already folded before the restart (a replayed record), or late for a page written since
      late(key, p);
      return;
    }
    try (WindowStoreIterator<TimelinePoint> it = full.fetch(key, Instant.ofEpochMilli(from), Instant.ofEpochMilli(ts))) {
      while (it.hasNext()) {
        final KeyValue<Long, TimelinePoint> next = it.next();
        final long pageStart = config.pageStart(next.value.timestampMs());
        if (current == null || current.startMs() != pageStart) {
          if (current != null) {
            write(key, current);
          }
          current = newPage(pageStart);
        }
        current.add(next.value);
      }
    }
    if (current == null || current.startMs() != config.pageStart(ts)) {
      // the snapshot was not in the full-resolution store after all: start its page with it alone
      if (current != null) {
        write(key, current);
      }
      current = newPage(config.pageStart(ts));
      current.add(p);
    }
    open.put(key, current);
  }

  /** A snapshot for a page already written: read, fold, write back (rare: out of order across topics). */
  private void late(final String key, final TimelinePoint p) {
    final long pageStart = config.pageStart(p.timestampMs());
    RollupPage page = pages.fetch(key, pageStart);
    if (page == null) {
      page = newPage(pageStart);
    }
    page.add(p);
    write(key, page);
  }

  private RollupPage newPage(final long startMs) {
    return new RollupPage(startMs, bucketMs, pageMs);
  }

  private void write(final String key, final RollupPage page) {
    pages.put(key, page, page.startMs());
  }
}
