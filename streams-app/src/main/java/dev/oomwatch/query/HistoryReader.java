package dev.oomwatch.query;

import dev.oomwatch.history.AlertView;
import dev.oomwatch.history.DetailChunk;
import dev.oomwatch.history.HistoryConfig;
import dev.oomwatch.history.HistoryStores;
import dev.oomwatch.history.KillView;
import dev.oomwatch.history.RollupPage;
import dev.oomwatch.history.TimelineMerge;
import dev.oomwatch.history.TimelinePoint;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Reads timelines and incidents out of the history stores, wherever those come from: a running
 * app's queryable stores, or a test driver's.
 */
public final class HistoryReader {
  /** The history's window stores by name. */
  @FunctionalInterface
  public interface WindowStores {
    <V> ReadOnlyWindowStore<String, V> get(String name);
  }

  private final HistoryConfig history;
  private final WindowStores stores;

  public HistoryReader(final HistoryConfig history, final WindowStores stores) {
    this.history = history;
    this.stores = stores;
  }

  public Timeline timeline(final String host, final String instance, final long fromMs, final long toMs) {
    final String key = HistoryStores.key(host, instance);
    final ReadOnlyWindowStore<String, KillView> killStore = stores.get(HistoryStores.KILLS);
    final ReadOnlyWindowStore<String, AlertView> alertStore = stores.get(HistoryStores.ALERT_EVENTS);
    final List<KillView> kills = new ArrayList<>(fetch(killStore, key, fromMs, toMs));
    kills.addAll(fetch(killStore, HistoryStores.key(host, null), fromMs, toMs));
    final List<AlertView> alerts = new ArrayList<>(fetch(alertStore, key, fromMs, toMs));
    alerts.addAll(fetch(alertStore, HistoryStores.key(host, null), fromMs, toMs));
    alerts.sort(Comparator.comparingLong(AlertView::eventTimeMs));
    final List<RollupPage> pages = fetch(stores.get(HistoryStores.TIMELINE_ROLLUP), key, history.pageStart(fromMs), toMs);
    final TimelineMerge.Merged merged = TimelineMerge.merge(fullResolution(key, fromMs, toMs), pages, fromMs, toMs,
        history.bucket().toMillis());
    return new Timeline(host, instance, fromMs, toMs, merged.points(), merged.buckets(), merged.resolution(), kills,
        alerts);
  }

  public List<Incident> incidents(final long fromMs, final long toMs) {
    return incidents(fromMs, toMs, Integer.MAX_VALUE, true);
  }

  /**
   * The newest {@code limit} kills between the two times, newest first, and any more that share
   * the oldest one's millisecond; with their snapshots only when {@code snapshots} (seven minutes of
   * full resolution each: the costly part).
   */
  public List<Incident> incidents(final long fromMs, final long toMs, final int limit, final boolean snapshots) {
    final ReadOnlyWindowStore<String, KillView> killStore = stores.get(HistoryStores.KILLS);
    final ReadOnlyWindowStore<String, AlertView> alertStore = stores.get(HistoryStores.ALERT_EVENTS);
    final java.util.PriorityQueue<KillView> newest = new java.util.PriorityQueue<>(
        Comparator.comparingLong(KillView::timestampMs));
    // kills pushed out that share the page's oldest millisecond: a page ends between two
    // milliseconds, never inside one, so that the next page (up to just before it) misses none
    final List<KillView> tied = new ArrayList<>();
    try (KeyValueIterator<Windowed<String>, KillView> it =
             killStore.fetchAll(Instant.ofEpochMilli(fromMs), Instant.ofEpochMilli(toMs))) {
      while (it.hasNext()) {
        newest.add(it.next().value);
        if (newest.size() > limit) {
          final KillView out = newest.poll();
          if (!tied.isEmpty() && tied.get(0).timestampMs() < out.timestampMs()) {
            tied.clear();
          }
          if (out.timestampMs() == newest.peek().timestampMs()) {
            tied.add(out);
          }
        }
      }
    }
    final List<KillView> kills = new ArrayList<>(newest);
    if (!newest.isEmpty()) {
      final long oldest = newest.peek().timestampMs();
      tied.stream().filter(k -> k.timestampMs() == oldest).forEach(kills::add);
    }
    kills.sort(Comparator.comparingLong(KillView::timestampMs).reversed());
    final List<Incident> out = new ArrayList<>();
    for (final KillView kill : kills) {
      final long from = kill.timestampMs() - history.incidentBefore().toMillis();
      final long to = kill.timestampMs() + history.incidentAfter().toMillis();
      final List<TimelinePoint> points = kill.instance() == null || !snapshots ? List.of()
          : fullResolution(HistoryStores.key(kill.host(), kill.instance()), from, to);
      final List<AlertView> alerts = new ArrayList<>();
      if (kill.instance() != null) {
        alerts.addAll(fetch(alertStore, HistoryStores.key(kill.host(), kill.instance()), from, to));
      }
      alerts.addAll(fetch(alertStore, HistoryStores.key(kill.host(), null), from, to));
      alerts.sort(Comparator.comparingLong(AlertView::eventTimeMs));
      out.add(new Incident(kill.host(), kill.instance(), kill.timestampMs(), kill, from, to, points, alerts));
    }
    return out;
  }

  /** The recent past and the detail around forks and kills, one snapshot per timestamp, in order. */
  private List<TimelinePoint> fullResolution(final String key, final long fromMs, final long toMs) {
    final TreeMap<Long, TimelinePoint> byTime = new TreeMap<>();
    // a chunk is stored at its first snapshot's time and is at most history.full + history.page long
    final long reach = history.full().toMillis() + history.page().toMillis();
    for (final DetailChunk chunk : fetch(stores.<DetailChunk>get(HistoryStores.TIMELINE_DETAIL), key, fromMs - reach, toMs)) {
      for (final TimelinePoint p : chunk.points()) {
        if (p.timestampMs() >= fromMs && p.timestampMs() <= toMs) {
          byTime.put(p.timestampMs(), p);
        }
      }
    }
    fetch(stores.<TimelinePoint>get(HistoryStores.TIMELINE), key, fromMs, toMs)
        .forEach(p -> byTime.put(p.timestampMs(), p));
    return new ArrayList<>(byTime.values());
  }

  private static <V> List<V> fetch(final ReadOnlyWindowStore<String, V> store, final String key, final long fromMs,
      final long toMs) {
    final List<V> out = new ArrayList<>();
    try (WindowStoreIterator<V> it = store.fetch(key, Instant.ofEpochMilli(fromMs), Instant.ofEpochMilli(toMs))) {
      it.forEachRemaining(kv -> out.add(kv.value));
    }
    return out;
  }
}
