package dev.oomwatch.history;

import java.util.List;

/**
 * A stretch of an instance's snapshots at full resolution kept for the retention: part of the
 * story around a fork or a kill, written as one record when the stretch ends (or every
 * {@code history.page} while it goes on) instead of a record per snapshot.
 */
public record DetailChunk(List<TimelinePoint> points) {
  public DetailChunk {
    points = List.copyOf(points);
  }

  public long firstMs() {
    return points.isEmpty() ? Long.MIN_VALUE : points.get(0).timestampMs();
  }

  public long lastMs() {
    return points.isEmpty() ? Long.MIN_VALUE : points.get(points.size() - 1).timestampMs();
  }
}
