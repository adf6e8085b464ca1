package dev.oomwatch.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oomwatch.history.HistoryConfig;
import dev.oomwatch.history.HistoryStores;
import dev.oomwatch.history.KillView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.internals.TimeWindow;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.junit.jupiter.api.Test;

/**
 * Paging through kills: a page ends between two milliseconds, so following its next link (up to
 * just before its oldest kill) misses none, however many hosts were killed at one millisecond.
 */
class IncidentPagesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void killsSharingAPagesLastMillisecondAreAllOnThatPage() {
    final ListWindowStore<KillView> kills = new ListWindowStore<>();
    for (final long[] k : new long[][] {{100, 1}, {200, 2}, {200, 3}, {200, 4}, {300, 5}}) {
      kills.put(HistoryStores.key("cache-0" + k[1], "cache-0" + k[1] + ":6379"), k[0], kill("cache-0" + k[1], k[0]));
    }
    final HistoryReader reader = new HistoryReader(HistoryConfig.defaults(), new HistoryReader.WindowStores() {
      @Override
      @SuppressWarnings("unchecked")
      public <V> ReadOnlyWindowStore<String, V> get(final String name) {
        return (ReadOnlyWindowStore<String, V>) (name.equals(HistoryStores.KILLS) ? kills : new ListWindowStore<>());
      }
    });
    final List<Incident> first = reader.incidents(0, 1_000, 2, false);
    assertThat(first).extracting(Incident::timestampMs).containsExactly(300L, 200L, 200L, 200L);
    final List<Incident> second = reader.incidents(0, 199, 2, false);
    assertThat(second).extracting(Incident::timestampMs).containsExactly(100L);
    assertThat(reader.incidents(0, 1_000, 1, false)).extracting(Incident::timestampMs).containsExactly(300L);
  }

  @Test
  void theFleetsPageIsCutTheSameWay() {
    final List<JsonNode> merged = new ArrayList<>();
    for (final long ts : new long[] {300, 200, 200, 100}) {
      merged.add(JSON.createObjectNode().put("timestampMs", ts));
    }
    assertThat(ClusterQueries.page(merged, 2)).hasSize(3);
    assertThat(ClusterQueries.page(merged, 1)).hasSize(1);
    assertThat(ClusterQueries.page(merged, 4)).hasSize(4);
    assertThat(ClusterQueries.page(merged, 9)).hasSize(4);
    assertThat(ClusterQueries.page(List.of(), 5)).isEmpty();
  }

  private static KillView kill(final String host, final long ts) {
    return new KillView(host, host + ":6379", ts, "SERVER", 1L, "redis-server", "CONSTRAINT_MEMCG", "/x", 1L, 1L, 2L, 0);
  }

  /** A window store over a list: enough of one for the reader's fetches. */
  private static final class ListWindowStore<V> implements ReadOnlyWindowStore<String, V> {
    private final List<KeyValue<Windowed<String>, V>> entries = new ArrayList<>();

    void put(final String key, final long ts, final V value) {
      entries.add(KeyValue.pair(new Windowed<>(key, new TimeWindow(ts, ts + 1)), value));
    }

    @Override
    public V fetch(final String key, final long time) {
      return null;
    }

    @Override
    public WindowStoreIterator<V> fetch(final String key, final Instant from, final Instant to) {
      final List<KeyValue<Long, V>> out = new ArrayList<>();
      entries.stream().filter(e -> e.key.key().equals(key) && within(e, from, to))
          .forEach(e -> out.add(KeyValue.pair(e.key.window().start(), e.value)));
      final Iterator<KeyValue<Long, V>> it = out.iterator();
      return new WindowStoreIterator<>() {
        @Override
        public void close() {}

        @Override
        public Long peekNextKey() {
          throw new UnsupportedOperationException();
        }

        @Override
        public boolean hasNext() {
          return it.hasNext();
        }

        @Override
        public KeyValue<Long, V> next() {
          return it.next();
        }
      };
    }

    @Override
    public KeyValueIterator<Windowed<String>, V> fetch(final String keyFrom, final String keyTo, final Instant from,
        final Instant to) {
      throw new UnsupportedOperationException();
    }

    @Override
    public KeyValueIterator<Windowed<String>, V> all() {
      return iterator(entries);
    }

    @Override
    public KeyValueIterator<Windowed<String>, V> fetchAll(final Instant from, final Instant to) {
      return iterator(entries.stream().filter(e -> within(e, from, to)).toList());
    }

    private static boolean within(final KeyValue<? extends Windowed<String>, ?> e, final Instant from, final Instant to) {
      final long ts = e.key.window().start();
      return ts >= from.toEpochMilli() && ts <= to.toEpochMilli();
    }

    private static <V> KeyValueIterator<Windowed<String>, V> iterator(final List<KeyValue<Windowed<String>, V>> list) {
      final Iterator<KeyValue<Windowed<String>, V>> it = list.iterator();
      return new KeyValueIterator<>() {
        @Override
        public void close() {}

        @Override
        public Windowed<String> peekNextKey() {
          throw new UnsupportedOperationException();
        }

        @Override
        public boolean hasNext() {
          return it.hasNext();
        }

        @Override
        public KeyValue<Windowed<String>, V> next() {
          return it.next();
        }
      };
    }
  }
}
