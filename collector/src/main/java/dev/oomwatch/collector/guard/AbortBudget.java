package dev.oomwatch.collector.guard;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * How many forks of each instance the guard has ended within the window, and whether it may end
 * another. An aborted save leaves Redis's status ok, so its save points fork again at the next cron
 * tick; past {@code max} aborts the guard stands down for that instance (the kernel decides) until
 * the oldest abort leaves the window, so that one kill cannot become an endless train of forks.
 * Pure.
 */
final class AbortBudget {
  private final int max;
  private final long windowMs;
  private final Map<String, Deque<Long>> aborts = new HashMap<>();

  AbortBudget(final int max, final long windowMs) {
    this.max = max;
    this.windowMs = windowMs;
  }

  /** Aborts of {@code instance} within the window as of {@code nowMs}. */
  int used(final String instance, final long nowMs) {
    final Deque<Long> times = aborts.get(instance);
    if (times == null) {
      return 0;
    }
    while (!times.isEmpty() && nowMs - times.peekFirst() >= windowMs) {
      times.removeFirst();
    }
    if (times.isEmpty()) {
      aborts.remove(instance);
      return 0;
    }
    return times.size();
  }

  boolean allows(final String instance, final long nowMs) {
    return used(instance, nowMs) < max;
  }

  /** Counts an abort; returns how many there are in the window with it. */
  int spend(final String instance, final long nowMs) {
    used(instance, nowMs);
    final Deque<Long> times = aborts.computeIfAbsent(instance, i -> new ArrayDeque<>());
    times.addLast(nowMs);
    return times.size();
  }

  /** When the guard acts again for an instance whose budget is spent: its oldest abort leaving the window. */
  long standsDownUntil(final String instance) {
    final Deque<Long> times = aborts.get(instance);
    return times == null || times.isEmpty() ? 0 : times.peekFirst() + windowMs;
  }

  int max() {
    return max;
  }
}
