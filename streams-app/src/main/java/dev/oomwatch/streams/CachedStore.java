package dev.oomwatch.streams;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A key-value store with the objects last read or written kept in memory, written through on
 * every put: the store and its changelog stay the truth (a crash or migration restores from them,
 * and the processor, with this cache, is created anew), while a record's state is not parsed back
 * from JSON on every read. One per processor, so per task and thread: no locking.
 */
final class CachedStore<V> {
  private final KeyValueStore<String, V> store;
  private final Map<String, V> cache;

  CachedStore(final KeyValueStore<String, V> store, final int capacity) {
    this.store = store;
    this.cache = new LinkedHashMap<>(capacity, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(final Map.Entry<String, V> eldest) {
        return size() > capacity;
      }
    };
  }

  /** The value; callers that change it must {@link #put} it back. */
  V get(final String key) {
    final V cached = cache.get(key);
    if (cached != null) {
      return cached;
    }
    final V stored = store.get(key);
    if (stored != null) {
      cache.put(key, stored);
    }
    return stored;
  }

  void put(final String key, final V value) {
    store.put(key, value);
    cache.put(key, value);
  }

  KeyValueStore<String, V> store() {
    return store;
  }
}
