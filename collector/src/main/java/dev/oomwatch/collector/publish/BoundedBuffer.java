package dev.oomwatch.collector.publish;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;

/**
 * FIFO of records waiting for the broker, bounded by count (waiting plus in flight). When full,
 * the oldest waiting droppable record (a sample) goes first; records marked keep (kernel events)
 * are dropped only when nothing else waits. A batch taken for sending is in flight until it is
 * acknowledged (gone) or returned (back at the head, in order). Thread-safe: samplers offer, one
 * sender takes.
 */
public final class BoundedBuffer<T> {
  private record Entry<T>(T item, boolean keep, long arrivedNanos) {}

  private int capacity;
  private final java.util.function.ToLongFunction<T> weigher;
  private final Deque<Entry<T>> waiting = new ArrayDeque<>();
  private final List<Entry<T>> inFlight = new ArrayList<>();
  private long dropped;
  private long bytes;

  public BoundedBuffer(final int capacity) {
    this(capacity, item -> 0);
  }

  /** {@code weigher}: the bytes an item holds, summed in {@link #bytes()}. */
  public BoundedBuffer(final int capacity, final java.util.function.ToLongFunction<T> weigher) {
    if (capacity < 1) {
      throw new IllegalArgumentException("buffer capacity must be at least 1");
    }
    this.capacity = capacity;
    this.weigher = weigher;
  }

  /** Adds at the tail; returns the number of records dropped to make room (0 or 1). */
  public synchronized int offer(final T item, final boolean keep) {
    int droppedNow = 0;
    if (waiting.size() + inFlight.size() >= capacity && !waiting.isEmpty()) {
      final Entry<T> gone = dropOldestDroppable();
      bytes -= weigher.applyAsLong((gone != null ? gone : waiting.pollFirst()).item());
      dropped++;
      droppedNow = 1;
    }
    waiting.addLast(new Entry<>(item, keep, System.nanoTime()));
    bytes += weigher.applyAsLong(item);
    notifyAll();
    return droppedNow;
  }

  private Entry<T> dropOldestDroppable() {
    final Iterator<Entry<T>> it = waiting.iterator();
    while (it.hasNext()) {
      final Entry<T> entry = it.next();
      if (!entry.keep()) {
        it.remove();
        return entry;
      }
    }
    return null;
  }

  /**
   * Waits, up to {@code firstWaitMs}, for a record; then lets records gather until the oldest has
   * waited {@code gatherMs}, unless {@code max} are waiting, one is a record to keep (a kernel
   * event), or {@code hurry} says so (a fork in progress). One request a second instead of one per
   * sample is most of what publishing costs a quiet host; a kill or a fork is never held back.
   */
  public synchronized void gather(final long firstWaitMs, final long gatherMs, final int max,
      final java.util.function.BooleanSupplier hurry) throws InterruptedException {
    if (waiting.isEmpty() && firstWaitMs > 0) {
      wait(firstWaitMs);
    }
    if (waiting.isEmpty()) {
      return;
    }
    final long deadline = waiting.peekFirst().arrivedNanos() + gatherMs * 1_000_000L;
    while (waiting.size() < max && !hurry.getAsBoolean() && waiting.stream().noneMatch(Entry::keep)) {
      final long leftMs = (deadline - System.nanoTime()) / 1_000_000L;
      if (leftMs <= 0) {
        return;
      }
      wait(leftMs);
    }
  }

  /**
   * Takes up to {@code max} records from the head for sending, waiting up to {@code waitMs} for one.
   * Only one batch is in flight at a time; returns an empty list when nothing waits.
   */
  public synchronized List<T> take(final int max, final long waitMs) throws InterruptedException {
    if (!inFlight.isEmpty()) {
      throw new IllegalStateException("a batch is already in flight");
    }
    if (waiting.isEmpty() && waitMs > 0) {
      wait(waitMs);
    }
    final List<T> batch = new ArrayList<>();
    while (batch.size() < max && !waiting.isEmpty()) {
      final Entry<T> entry = waiting.pollFirst();
      inFlight.add(entry);
      batch.add(entry.item());
    }
    return batch;
  }

  /**
   * Ends the batch in flight: records whose {@code failed} flag is set go back to the head, in their
   * order; the others are done. A record the broker did take is never sent twice.
   */
  public synchronized void settle(final boolean[] failed) {
    for (int i = inFlight.size() - 1; i >= 0; i--) {
      if (i < failed.length && failed[i]) {
        waiting.addFirst(inFlight.get(i));
      } else {
        bytes -= weigher.applyAsLong(inFlight.get(i).item());
      }
    }
    inFlight.clear();
  }

  /** Grows the room (never shrinks it): more instances to sample, more to hold through an outage. */
  public synchronized void ensureCapacity(final int records) {
    capacity = Math.max(capacity, records);
  }

  public synchronized int size() {
    return waiting.size() + inFlight.size();
  }

  /** The bytes of the records held, waiting or in flight. */
  public synchronized long bytes() {
    return bytes;
  }

  /** How long the oldest record held has waited, in ms; 0 when none. */
  public synchronized long oldestAgeMs(final long nowNanos) {
    final Entry<T> oldest = !inFlight.isEmpty() ? inFlight.get(0) : waiting.peekFirst();
    return oldest == null ? 0 : Math.max(0, (nowNanos - oldest.arrivedNanos()) / 1_000_000L);
  }

  public synchronized long dropped() {
    return dropped;
  }
}
