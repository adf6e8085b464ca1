package dev.oomwatch.collector.guard;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One running fork's physical memory over the last second of looks, and where it will be
 * {@code aheadMs} from now at the rate it grew: the guard's projection. Pure.
 */
final class ForkProjection {
  private static final long RATE_SPAN_MS = 1_000;

  private record Look(long atMs, long physical) {}

  private final Deque<Look> looks = new ArrayDeque<>();
  final long startedMs;

  ForkProjection(final long startedMs) {
    this.startedMs = startedMs;
  }

  void look(final long atMs, final long physical) {
    if (!looks.isEmpty() && atMs <= looks.peekLast().atMs()) {
      return;
    }
    looks.addLast(new Look(atMs, physical));
    while (looks.size() > 2 && atMs - looks.peekFirst().atMs() > RATE_SPAN_MS) {
      looks.removeFirst();
    }
  }

  /** Bytes a second it grew over the last second (0 with one look, never negative). */
  long growthPerSecond() {
    if (looks.size() < 2) {
      return 0;
    }
    final Look first = looks.peekFirst();
    final Look last = looks.peekLast();
    return Math.max(0, (last.physical() - first.physical()) * 1000 / Math.max(1, last.atMs() - first.atMs()));
  }

  long physical() {
    return looks.isEmpty() ? 0 : looks.peekLast().physical();
  }

  long projected(final long aheadMs) {
    return physical() + growthPerSecond() * aheadMs / 1000;
  }
}
