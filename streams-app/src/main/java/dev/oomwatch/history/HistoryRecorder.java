package dev.oomwatch.history;

import dev.oomwatch.detect.InstanceState;
import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.KernelEvent;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Writes what the detector sees and decides into the history stores, for the API to serve: every
 * snapshot at full resolution for the recent past and rolled up for the retention, the ones around
 * forks and kills at full resolution for the retention ({@link DetailSpans}).
 */
public final class HistoryRecorder {
  private final HistoryConfig config;
  private final WindowStore<String, TimelinePoint> timeline;
  private final Details details;
  private final Rollups rollups;
  private final WindowStore<String, KillView> kills;
  private final WindowStore<String, AlertView> alertEvents;
  private final KeyValueStore<String, AlertView> board;

  public HistoryRecorder(final HistoryConfig config, final ProcessorContext<?, ?> context) {
    this.config = config;
    this.timeline = context.getStateStore(HistoryStores.TIMELINE);
    this.details = new Details(config, timeline, context.getStateStore(HistoryStores.TIMELINE_DETAIL));
    this.rollups = new Rollups(config, timeline, context.getStateStore(HistoryStores.TIMELINE_ROLLUP));
    this.kills = context.getStateStore(HistoryStores.KILLS);
    this.alertEvents = context.getStateStore(HistoryStores.ALERT_EVENTS);
    this.board = context.getStateStore(HistoryStores.ALERT_BOARD);
  }

  /**
   * A snapshot, after the instance's state has seen it; {@code key} is the instance's
   * ({@link HistoryStores#key}, built once per record by the caller); {@code forkStarted} when it
   * began a fork (the quiet before it is then copied into the detail).
   */
  public void snapshot(final String key, final InstanceSnapshot snapshot, final InstanceState state,
      final boolean forkStarted) {
    final TimelinePoint point = TimelinePoint.of(snapshot);
    final long ts = snapshot.timestampMs();
    timeline.put(key, point, ts);
    rollups.add(key, point);
    details.snapshot(key, ts, state, snapshot.forking(), forkStarted);
  }

  /** A kill; {@code instance} null when no instance of the host could be matched, else {@code state} is its. */
  public void kill(final KernelEvent event, final String instance, final String role, final InstanceState state) {
    kills.put(HistoryStores.key(event.getHost(), instance), KillView.of(event, instance, role), event.getTimestampMs());
    if (instance != null) {
      details.kill(HistoryStores.key(event.getHost(), instance), event.getTimestampMs(), state);
    }
  }

  /** Writes the pages and detail of instances stream time has left behind (gone quiet, or gone). */
  public void flush(final long streamTimeMs) {
    rollups.flushBefore(streamTimeMs);
    details.flushBefore(streamTimeMs);
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
