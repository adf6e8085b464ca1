package dev.oomwatch.query;

import dev.oomwatch.detect.InstanceState;
import dev.oomwatch.history.AlertView;
import dev.oomwatch.history.HistoryConfig;
import dev.oomwatch.history.HistoryStores;
import dev.oomwatch.streams.OomwatchTopology;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreType;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;

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

  List<SizingView> sizing() {
    return guarded(() -> {
      final ReadOnlyKeyValueStore<String, InstanceState> instances =
          store(OomwatchTopology.INSTANCES, QueryableStoreTypes.keyValueStore());
      final List<SizingView> out = new ArrayList<>();
      try (KeyValueIterator<String, InstanceState> it = instances.all()) {
        while (it.hasNext()) {
          final KeyValue<String, InstanceState> kv = it.next();
          final int bar = kv.key.indexOf('|');
          final SizingView view = SizingView.of(kv.key.substring(0, bar), kv.key.substring(bar + 1), kv.value);
          if (view != null) {
            out.add(view);
          }
        }
      }
      return out;
    });
  }

  Timeline timeline(final String host, final String instance, final long fromMs, final long toMs) {
    return guarded(() -> reader().timeline(host, instance, fromMs, toMs));
  }

  List<Incident> incidents(final long fromMs, final long toMs, final int limit, final boolean snapshots) {
    return guarded(() -> reader().incidents(fromMs, toMs, limit, snapshots));
  }

  private HistoryReader reader() {
    return new HistoryReader(history, new HistoryReader.WindowStores() {
      @Override
      public <V> ReadOnlyWindowStore<String, V> get(final String name) {
        return store(name, QueryableStoreTypes.<String, V>windowStore());
      }
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

  private ReadOnlyKeyValueStore<String, AlertView> board() {
    return store(HistoryStores.ALERT_BOARD, QueryableStoreTypes.keyValueStore());
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
