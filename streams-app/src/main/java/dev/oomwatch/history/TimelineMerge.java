package dev.oomwatch.history;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;

/**
 * Joins an instance's full-resolution snapshots (the recent past and the detail around forks and
 * kills) with its rolled-up buckets into one timeline with no seam: a bucket whose every snapshot
 * is at hand at full resolution gives way to them; any other bucket is served, and the stray
 * full-resolution snapshots inside it are not (the bucket already holds their minimum, maximum
 * and last). The spans say which stretch is at which resolution.
 */
public final class TimelineMerge {
  /** The merged timeline: snapshots, buckets where there is no full resolution, and the spans of each. */
  public record Merged(List<TimelinePoint> points, List<BucketView> buckets, List<ResolutionSpan> resolution) {}

  private TimelineMerge() {}

  public static Merged merge(final Collection<TimelinePoint> fullResolution, final Collection<RollupPage> pages,
      final long fromMs, final long toMs, final long bucketMs) {
    final TreeMap<Long, TimelinePoint> points = new TreeMap<>();
    for (final TimelinePoint p : fullResolution) {
      if (p.timestampMs() >= fromMs && p.timestampMs() <= toMs) {
        points.put(p.timestampMs(), p);
      }
    }
    final List<RollupBucket> served = new ArrayList<>();
    for (final RollupPage page : pages) {
      for (final RollupBucket b : page.buckets()) {
        final long end = b.startMs() + bucketMs;
        if (end <= fromMs || b.startMs() > toMs) {
          continue;
        }
        final var inside = points.subMap(b.startMs(), true, end, false);
        if (inside.size() < b.samples()) {
          inside.clear();
          served.add(b);
        }
      }
    }
    served.sort((a, b) -> Long.compare(a.startMs(), b.startMs()));
    final List<BucketView> buckets = served.stream().map(b -> BucketView.of(b, bucketMs)).toList();
    return new Merged(List.copyOf(points.values()), buckets, spans(points, buckets, bucketMs));
  }

  private static List<ResolutionSpan> spans(final TreeMap<Long, TimelinePoint> points, final List<BucketView> buckets,
      final long bucketMs) {
    final String rolled = bucketMs % 1000 == 0 ? bucketMs / 1000 + "s" : bucketMs + "ms";
    final List<ResolutionSpan> out = new ArrayList<>();
    int b = 0;
    final List<Long> times = new ArrayList<>(points.keySet());
    int p = 0;
    while (p < times.size() || b < buckets.size()) {
      final boolean pointNext = b >= buckets.size() || p < times.size() && times.get(p) < buckets.get(b).fromMs();
      if (pointNext) {
        final long from = times.get(p);
        long to = from;
        while (p < times.size() && (b >= buckets.size() || times.get(p) < buckets.get(b).fromMs())) {
          to = times.get(p++);
        }
        out.add(new ResolutionSpan(from, to, ResolutionSpan.FULL));
      } else {
        final long from = buckets.get(b).fromMs();
        long to = buckets.get(b).toMs();
        while (b < buckets.size() && (p >= times.size() || buckets.get(b).fromMs() <= times.get(p))) {
          to = buckets.get(b++).toMs();
        }
        out.add(new ResolutionSpan(from, to, rolled));
      }
    }
    return out;
  }
}
