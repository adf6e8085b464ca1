package dev.oomwatch.bench;

import dev.oomwatch.history.HistoryConfig;
import dev.oomwatch.history.HistoryStores;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * From the state a run left after a backlog of {@code spanSeconds} of simulated time, what one
 * instance costs over a day of the retention. Each store is scaled by what bounds it: the
 * full-resolution timeline by {@code history.full} (flat once the run is longer), the roll-up by its
 * pages (one per {@code history.page} per instance), the other window stores by the retention
 * (they grow with time until it), the key-value stores not at all (one entry per key).
 */
final class StateProjection {
  /** One store as measured: bytes on disk, bytes and records in its changelog. */
  record Store(String name, long diskBytes, long changelogBytes, long changelogRecords) {}

  /** One store projected to an instance-day. */
  record PerInstanceDay(String name, String scaledBy, double diskBytes, double changelogBytes, double changelogRecords) {}

  private static final Set<String> GROWING = Set.of(HistoryStores.TIMELINE_DETAIL, HistoryStores.KILLS,
      HistoryStores.ALERT_EVENTS);

  private StateProjection() {}

  static List<PerInstanceDay> project(final List<Store> stores, final HistoryConfig history, final long instances,
      final long spanSeconds) {
    final double day = Math.min(Duration.ofDays(1).toSeconds(), history.retention().toSeconds());
    return stores.stream().map(s -> {
      final double factor;
      final String by;
      if (s.name().equals(HistoryStores.TIMELINE)) {
        final double kept = history.full().toSeconds();
        factor = kept <= spanSeconds ? 1 : Math.min(kept, day) / spanSeconds;
        by = kept <= spanSeconds ? "flat past history.full" : "x " + fmt(factor) + " (history.full)";
      } else if (s.name().equals(HistoryStores.TIMELINE_ROLLUP)) {
        final double pagesPerInstance = (double) s.changelogRecords() / instances;
        final double pagesPerDay = day / history.page().toSeconds();
        factor = pagesPerInstance == 0 ? 0 : pagesPerDay / pagesPerInstance;
        by = "x " + fmt(factor) + " (" + fmt(pagesPerDay) + " pages a day)";
      } else if (GROWING.contains(s.name())) {
        factor = day / spanSeconds;
        by = "x " + fmt(factor) + " (grows with time)";
      } else {
        factor = 1;
        by = "one entry per key";
      }
      return new PerInstanceDay(s.name(), by, s.diskBytes() * factor / instances,
          s.changelogBytes() * factor / instances, s.changelogRecords() * factor / instances);
    }).toList();
  }

  private static String fmt(final double v) {
    return v >= 10 ? String.format("%,.0f", v) : String.format("%.2f", v);
  }
}
