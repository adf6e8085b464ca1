package dev.oomwatch.streams;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A key-value store with the objects last read or written kept in memory, so a record's state is
 * not parsed back on every read. One per processor, so per task and thread: no locking.
 *
 * <p>Two ways to write. {@link #put} writes through at once, store and changelog: for changes a
 * crash must not lose (a fork began, a restart, a kill, a new pid). {@link #putRoutine} keeps the
 * change in memory and writes it once it has waited {@code delay}, however often the key changed
 * meanwhile ({@link #flushDue}, from a punctuator): for what the next samples replace anyway (the
 * latest snapshot, the host's kernel views). Every record wrote its state twice a second per host
 * before; this is what let the topology write less than one record per input (measured in
 * BENCHMARKS.md). A crash loses at most {@code delay} of routine changes, never a transition.
 */
final class CachedStore<V> {
  private final KeyValueStore<String, V> store;
  private final Map<String, V> cache;
  /** Keys with a routine change not yet written, oldest first, with when they became dirty. */
  private final LinkedHashMap<String, Long> dirtySince = new LinkedHashMap<>();
  private final long delayMs;

  CachedStore(final KeyValueStore<String, V> store, final int capacity, final long delayMs) {
    this.store = store;
    this.delayMs = delayMs;
    this.cache = new LinkedHashMap<>(capacity, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(final Map.Entry<String, V> eldest) {
        if (size() <= capacity) {
          return false;
        }
        // an evicted entry with an unwritten change is written now, or the change would be lost
        if (dirtySince.remove(eldest.getKey()) != null) {
          store.put(eldest.getKey(), eldest.getValue());
        }
        return true;
      }
    };
  }

  /** The value; callers that change it must {@link #put} or {@link #putRoutine} it back. */
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

  /** Writes through now. */
  void put(final String key, final V value) {
    dirtySince.remove(key);
    store.put(key, value);
    cache.put(key, value);
  }

  /** Remembers the change; written by the first {@link #flushDue} at least the delay later. */
  void putRoutine(final String key, final V value, final long nowMs) {
    if (delayMs <= 0) {
      put(key, value);
      return;
    }
    cache.put(key, value);
    dirtySince.putIfAbsent(key, nowMs);
  }

  /** Writes every routine change older than the delay ({@code nowMs} on the clock {@link #putRoutine} was given). */
  int flushDue(final long nowMs) {
    int written = 0;
    for (final Iterator<Map.Entry<String, Long>> it = dirtySince.entrySet().iterator(); it.hasNext(); ) {
      final Map.Entry<String, Long> e = it.next();
      if (nowMs - e.getValue() < delayMs) {
        break; // in the order they became dirty: the rest are younger
      }
      store.put(e.getKey(), cache.get(e.getKey()));
      it.remove();
      written++;
    }
    return written;
  }

  /** Writes every routine change (the task is closing). */
  int flushAll() {
    return flushDue(Long.MAX_VALUE);
  }

  KeyValueStore<String, V> store() {
    return store;
  }
}
