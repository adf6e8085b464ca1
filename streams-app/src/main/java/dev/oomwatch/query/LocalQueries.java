package dev.oomwatch.query;

import dev.oomwatch.detect.InstanceState;
import dev.oomwatch.history.AlertView;
import dev.oomwatch.history.HistoryConfig;
import dev.oomwatch.history.HistoryStores;
import dev.oomwatch.history.KillView;
import dev.oomwatch.history.TimelinePoint;
import dev.oomwatch.streams.OomwatchTopology;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreType;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Answers from the stores of the partitions this instance owns. Anything short of a running app
 * with its stores open is {@link NotReady}: a restoring store would give a partial answer.
 */
final class LocalQueries {
  private final KafkaStreams streams;
  private final HistoryConfig history;

  LocalQueries(final KafkaStreams streams, final HistoryConfig history) {
    this.streams = streams;
    this.history = history;
  }

  List<AlertView> alerts(final AlertFilter filter) {
    return guarded(() -> {
      final List<AlertView> out = new ArrayList<>();
      try (KeyValueIterator<String, AlertView> it = board().all()) {
        it.forEachRemaining(kv -> {
          if (filter.matches(kv.value)) {
            out.add(kv.value);
          }
        });
      }
      return out;
    });
  }

  List<InstanceView> instances() {
    return guarded(() -> {
      final ReadOnlyKeyValueStore<String, InstanceState> instances =
          store(OomwatchTopology.INSTANCES, QueryableStoreTypes.keyValueStore());
      final List<InstanceView> out = new ArrayList<>();
      final ReadOnlyKeyValueStore<String, AlertView> board = board();
      try (KeyValueIterator<String, InstanceState> it = instances.all()) {
        while (it.hasNext()) {
          final KeyValue<String, InstanceState> kv = it.next();
          final int bar = kv.key.indexOf('|');
          final String host = kv.key.substring(0, bar);
          final String instance = kv.key.substring(bar + 1);
          out.add(InstanceView.of(host, instance, kv.value, firing(board, host, instance)));
        }
      }
      return out;
    });
  }

  Timeline timeline(final String host, final String instance, final long fromMs, final long toMs) {
    return guarded(() -> {
      final String key = HistoryStores.key(host, instance);
      final List<KillView> kills = new ArrayList<>(fetch(killStore(), key, fromMs, toMs));
      kills.addAll(fetch(killStore(), HistoryStores.key(host, null), fromMs, toMs));
      final List<AlertView> alerts = new ArrayList<>(fetch(alertEventStore(), key, fromMs, toMs));
      alerts.addAll(fetch(alertEventStore(), HistoryStores.key(host, null), fromMs, toMs));
      alerts.sort(Comparator.comparingLong(AlertView::eventTimeMs));
      return new Timeline(host, instance, fromMs, toMs, fetch(timelineStore(), key, fromMs, toMs), kills, alerts);
    });
  }

  List<Incident> incidents(final long fromMs, final long toMs) {
    return guarded(() -> {
      final List<Incident> out = new ArrayList<>();
      try (KeyValueIterator<Windowed<String>, KillView> it =
               killStore().fetchAll(Instant.ofEpochMilli(fromMs), Instant.ofEpochMilli(toMs))) {
        while (it.hasNext()) {
          final KillView kill = it.next().value;
          final long from = kill.timestampMs() - history.incidentBefore().toMillis();
          final long to = kill.timestampMs() + history.incidentAfter().toMillis();
          final List<TimelinePoint> snapshots = kill.instance() == null ? List.of()
              : fetch(timelineStore(), HistoryStores.key(kill.host(), kill.instance()), from, to);
          final List<AlertView> alerts = new ArrayList<>();
          if (kill.instance() != null) {
            alerts.addAll(fetch(alertEventStore(), HistoryStores.key(kill.host(), kill.instance()), from, to));
          }
          alerts.addAll(fetch(alertEventStore(), HistoryStores.key(kill.host(), null), from, to));
          alerts.sort(Comparator.comparingLong(AlertView::eventTimeMs));
          out.add(new Incident(kill.host(), kill.instance(), kill.timestampMs(), kill, from, to, snapshots, alerts));
        }
      }
      return out;
    });
  }

  private static List<AlertView> firing(final ReadOnlyKeyValueStore<String, AlertView> board, final String host,
      final String instance) {
    final List<AlertView> out = new ArrayList<>();
    try (KeyValueIterator<String, AlertView> it = board.prefixScan(host + "|" + instance + "|",
        new org.apache.kafka.common.serialization.StringSerializer())) {
      it.forEachRemaining(kv -> {
        if ("FIRING".equals(kv.value.status())) {
          out.add(kv.value);
        }
      });
    }
    return out;
  }

  private static <V> List<V> fetch(final ReadOnlyWindowStore<String, V> store, final String key, final long fromMs,
      final long toMs) {
    final List<V> out = new ArrayList<>();
    try (WindowStoreIterator<V> it = store.fetch(key, Instant.ofEpochMilli(fromMs), Instant.ofEpochMilli(toMs))) {
      it.forEachRemaining(kv -> out.add(kv.value));
    }
    return out;
  }

  private ReadOnlyKeyValueStore<String, AlertView> board() {
    return store(HistoryStores.ALERT_BOARD, QueryableStoreTypes.keyValueStore());
  }

  private ReadOnlyWindowStore<String, TimelinePoint> timelineStore() {
    return store(HistoryStores.TIMELINE, QueryableStoreTypes.windowStore());
  }

  private ReadOnlyWindowStore<String, KillView> killStore() {
    return store(HistoryStores.KILLS, QueryableStoreTypes.windowStore());
  }

  private ReadOnlyWindowStore<String, AlertView> alertEventStore() {
    return store(HistoryStores.ALERT_EVENTS, QueryableStoreTypes.windowStore());
  }

  private <T> T store(final String name, final QueryableStoreType<T> type) {
    final KafkaStreams.State state = streams.state();
    if (state != KafkaStreams.State.RUNNING) {
      throw new NotReady("the streams-app is " + state + "; its stores are not all open");
    }
    return streams.store(StoreQueryParameters.fromNameAndType(name, type));
  }

  /**
   * Every partition of {@code name} this instance holds as active is open for queries. A task that
   * just moved here is RUNNING in a RUNNING app while it still restores, and a query over all
   * partitions silently leaves its hosts out: that answer would look whole and be wrong.
   */
  void requireWhole(final String name, final java.util.Collection<Integer> partitions) {
    final boolean keyValue = OomwatchTopology.INSTANCES.equals(name) || HistoryStores.ALERT_BOARD.equals(name);
    for (final int partition : partitions) {
      try {
        // a read, not just a handle: the handle is resolved to the partition's store only when used
        if (keyValue) {
          streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, Object>keyValueStore())
              .withPartition(partition)).approximateNumEntries();
        } else {
          streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, Object>windowStore())
              .withPartition(partition)).fetch("", 0L);
        }
      } catch (InvalidStateStoreException e) {
        throw new NotReady("partition " + partition + " of store " + name + " is not queryable yet (restoring or moving)");
      }
    }
  }

  /** A store can close or migrate in the middle of an answer; that answer is not whole. */
  private static <T> T guarded(final Supplier<T> query) {
    try {
      return query.get();
    } catch (InvalidStateStoreException e) {
      throw new NotReady("store not queryable now: " + e.getMessage());
    }
  }
}
