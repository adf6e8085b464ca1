package dev.oomwatch.history;

import java.util.Collection;
import java.util.TreeMap;

/**
 * A page of an instance's rolled-up timeline: the buckets of one {@code history.page} span, written
 * to the store as one record when the page is over (a day is then 144 records per instance at the
 * defaults, not 8,640). Only buckets that saw a snapshot are held.
 */
public final class RollupPage {
  private final long startMs;
  private final long bucketMs;
  private final TreeMap<Long, RollupBucket> buckets = new TreeMap<>();
  private long lastMs = Long.MIN_VALUE;

  public RollupPage(final long startMs, final long bucketMs) {
    this.startMs = startMs;
    this.bucketMs = bucketMs;
  }

  public void add(final TimelinePoint p) {
    final long start = Math.floorDiv(p.timestampMs(), bucketMs) * bucketMs;
    buckets.computeIfAbsent(start, RollupBucket::new).add(p);
    lastMs = Math.max(lastMs, p.timestampMs());
  }

  /** Used by the serde: a bucket read back, in start order. */
  void put(final RollupBucket bucket) {
    buckets.put(bucket.startMs, bucket);
    lastMs = Math.max(lastMs, bucket.lastMs);
  }

  public long startMs() {
    return startMs;
  }

  public long bucketMs() {
    return bucketMs;
  }

  /** The timestamp of the latest snapshot folded in; what a rebuilt page takes up after. */
  public long lastMs() {
    return lastMs;
  }

  public Collection<RollupBucket> buckets() {
    return buckets.values();
  }

  public boolean isEmpty() {
    return buckets.isEmpty();
  }
}
