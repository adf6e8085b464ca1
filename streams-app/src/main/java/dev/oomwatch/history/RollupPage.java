package dev.oomwatch.history;

import java.util.ArrayList;
import java.util.List;

/**
 * A page of an instance's rolled-up timeline: the buckets of one {@code history.page} span, written
 * to the store as one record when the page is over (a day is then 144 records per instance at the
 * defaults, not 8,640). Only buckets that saw a snapshot are held.
 */
public final class RollupPage {
  private final long startMs;
  private final long bucketMs;
  /** By bucket index in the page; null where no snapshot fell. */
  private final RollupBucket[] slots;
  private long lastMs = Long.MIN_VALUE;

  /** A page of {@code pageMs} starting at {@code startMs}. */
  public RollupPage(final long startMs, final long bucketMs, final long pageMs) {
    this.startMs = startMs;
    this.bucketMs = bucketMs;
    this.slots = new RollupBucket[(int) Math.max(1, pageMs / bucketMs)];
  }

  public void add(final TimelinePoint p) {
    final int index = index(p.timestampMs());
    RollupBucket bucket = slots[index];
    if (bucket == null) {
      bucket = new RollupBucket(startMs + index * bucketMs);
      slots[index] = bucket;
    }
    bucket.add(p);
    lastMs = Math.max(lastMs, p.timestampMs());
  }

  /** Used by the serde: a bucket read back. */
  void put(final RollupBucket bucket) {
    slots[index(bucket.startMs)] = bucket;
    lastMs = Math.max(lastMs, bucket.lastMs);
  }

  private int index(final long ms) {
    final long index = Math.floorDiv(ms - startMs, bucketMs);
    if (index < 0 || index >= slots.length) {
      throw new IllegalArgumentException("time " + ms + " is outside the page at " + startMs);
    }
    return (int) index;
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

  /** The buckets that saw a snapshot, in time order. */
  public List<RollupBucket> buckets() {
    final List<RollupBucket> out = new ArrayList<>();
    for (final RollupBucket b : slots) {
      if (b != null) {
        out.add(b);
      }
    }
    return out;
  }

  /** How many buckets the page spans. */
  int slots() {
    return slots.length;
  }
}
