package dev.oomwatch.history;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One rolled-up bucket as the API serves it: the span, how many snapshots it holds (and how many
 * found Redis reachable), whether a fork ran in it, and each figure's minimum, maximum and last.
 */
public record BucketView(long fromMs, long toMs, int samples, int reachable, boolean forking, Long childPid,
    Map<String, Range> figures) {

  /** A figure over the bucket. */
  public record Range(long min, long max, long last) {}

  public static BucketView of(final RollupBucket b, final long bucketMs) {
    final Map<String, Range> figures = new LinkedHashMap<>();
    for (int i = 0; i < RollupBucket.N; i++) {
      if (b.has(i)) {
        figures.put(RollupBucket.FIGURES[i], new Range(b.min(i), b.max(i), b.last(i)));
      }
    }
    return new BucketView(b.startMs(), b.startMs() + bucketMs, b.samples(), b.reachable(), b.forking(), b.childPid(),
        figures);
  }
}
