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

  private final int capacity;
  private final Deque<Entry<T>> waiting = new ArrayDeque<>();
  private final List<Entry<T>> inFlight = new ArrayList<>();
  private long dropped;

  public BoundedBuffer(final int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("buffer capacity must be at least 1");
    }
    this.capacity = capacity;
  }

  /** Adds at the tail; returns the number of records dropped to make room (0 or 1). */
  public synchronized int offer(final T item, final boolean keep) {
    int droppedNow = 0;
    if (waiting.size() + inFlight.size() >= capacity && !waiting.isEmpty()) {
      if (!dropOldestDroppable()) {
        waiting.pollFirst();
      }
      dropped++;
      droppedNow = 1;
    }
    waiting.addLast(new Entry<>(item, keep, System.nanoTime()));
    notifyAll();
    return droppedNow;
  }

  private boolean dropOldestDroppable() {
    final Iterator<Entry<T>> it = waiting.iterator();
    while (it.hasNext()) {
      if (!it.next().keep()) {
        it.remove();
        return true;
      }
    }
    return false;
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
      }
    }
    inFlight.clear();
  }

  public synchronized int size() {
    return waiting.size() + inFlight.size();
  }

  public synchronized long dropped() {
    return dropped;
  }
}
