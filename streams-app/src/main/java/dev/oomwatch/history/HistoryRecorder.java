package dev.oomwatch.history;

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

/** Writes what the detector sees and decides into the history stores, for the API to serve. */
public final class HistoryRecorder {
  private final HistoryConfig config;
  private final WindowStore<String, TimelinePoint> timeline;
  private final WindowStore<String, KillView> kills;
  private final WindowStore<String, AlertView> alertEvents;
  private final KeyValueStore<String, AlertView> board;

  public HistoryRecorder(final HistoryConfig config, final ProcessorContext<?, ?> context) {
    this.config = config;
    this.timeline = context.getStateStore(HistoryStores.TIMELINE);
    this.kills = context.getStateStore(HistoryStores.KILLS);
    this.alertEvents = context.getStateStore(HistoryStores.ALERT_EVENTS);
    this.board = context.getStateStore(HistoryStores.ALERT_BOARD);
  }

  public void snapshot(final InstanceSnapshot snapshot) {
    timeline.put(HistoryStores.key(snapshot.host(), snapshot.instance()), TimelinePoint.of(snapshot),
        snapshot.timestampMs());
  }

  /** A kill; {@code instance} null when no instance of the host could be matched. */
  public void kill(final KernelEvent event, final String instance, final String role) {
    kills.put(HistoryStores.key(event.getHost(), instance), KillView.of(event, instance, role), event.getTimestampMs());
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
