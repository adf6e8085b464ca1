package dev.oomwatch.history;

import dev.oomwatch.detect.InstanceState;
import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.KernelEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Writes what the detector sees and decides into the history stores, for the API to serve: every
 * snapshot at full resolution for the recent past and rolled up for the retention, the ones around
 * forks and kills at full resolution for the retention ({@link DetailSpans}).
 */
public final class HistoryRecorder {
  private final HistoryConfig config;
  private final DetailSpans spans;
  private final WindowStore<String, TimelinePoint> timeline;
  private final WindowStore<String, TimelinePoint> detail;
  private final Rollups rollups;
  private final WindowStore<String, KillView> kills;
  private final WindowStore<String, AlertView> alertEvents;
  private final KeyValueStore<String, AlertView> board;

  public HistoryRecorder(final HistoryConfig config, final ProcessorContext<?, ?> context) {
    this.config = config;
    this.spans = new DetailSpans(config);
    this.timeline = context.getStateStore(HistoryStores.TIMELINE);
    this.detail = context.getStateStore(HistoryStores.TIMELINE_DETAIL);
    this.rollups = new Rollups(config, timeline, context.getStateStore(HistoryStores.TIMELINE_ROLLUP));
    this.kills = context.getStateStore(HistoryStores.KILLS);
    this.alertEvents = context.getStateStore(HistoryStores.ALERT_EVENTS);
    this.board = context.getStateStore(HistoryStores.ALERT_BOARD);
  }

  /**
   * A snapshot, after the instance's state has seen it; {@code forkStarted} when it began a fork
   * (the quiet before it is then copied into the detail).
   */
  public void snapshot(final InstanceSnapshot snapshot, final InstanceState state, final boolean forkStarted) {
    final String key = HistoryStores.key(snapshot.host(), snapshot.instance());
    final TimelinePoint point = TimelinePoint.of(snapshot);
    final long ts = snapshot.timestampMs();
    timeline.put(key, point, ts);
    rollups.add(key, point);
    if (forkStarted) {
      copyToDetail(key, spans.forkFrom(ts), ts - 1);
    }
    if (spans.keeps(state, ts, snapshot.forking())) {
      detail.put(key, point, ts);
    }
  }

  /** A kill; {@code instance} null when no instance of the host could be matched. */
  public void kill(final KernelEvent event, final String instance, final String role) {
    kills.put(HistoryStores.key(event.getHost(), instance), KillView.of(event, instance, role), event.getTimestampMs());
    if (instance != null) {
      // what led to it, and whatever of its aftermath was already processed (it may come late)
      copyToDetail(HistoryStores.key(event.getHost(), instance), spans.killFrom(event.getTimestampMs()),
          spans.killTo(event.getTimestampMs()));
    }
  }

  /** Writes the rolled-up pages of instances stream time has left behind (gone quiet, or gone). */
  public int flushPages(final long streamTimeMs) {
    return rollups.flushBefore(streamTimeMs);
  }

  private void copyToDetail(final String key, final long fromMs, final long toMs) {
    try (WindowStoreIterator<TimelinePoint> it = timeline.fetch(key, Instant.ofEpochMilli(fromMs), Instant.ofEpochMilli(toMs))) {
      while (it.hasNext()) {
        final KeyValue<Long, TimelinePoint> next = it.next();
        detail.put(key, next.value, next.key);
      }
    }
  }

  public void alert(final Alert alert, final String boardKey) {
    final AlertView view = AlertView.of(alert);
    alertEvents.put(HistoryStores.key(alert.getHost(), alert.getInstance()), view, alert.getEventTimeMs());
    board.put(boardKey, view);
  }

  /** Forgets resolved alerts older than the retention, so the board holds what the history can explain. */
  public void prune(final long nowMs) {
    final long horizon = nowMs - config.retention().toMillis();
    final List<String> old = new ArrayList<>();
    try (KeyValueIterator<String, AlertView> it = board.all()) {
      while (it.hasNext()) {
        final KeyValue<String, AlertView> kv = it.next();
        final Long resolved = kv.value.resolvedAtMs();
        if ("RESOLVED".equals(kv.value.status()) && (resolved == null ? kv.value.eventTimeMs() : resolved) < horizon) {
          old.add(kv.key);
        }
      }
    }
    old.forEach(board::delete);
  }
}
