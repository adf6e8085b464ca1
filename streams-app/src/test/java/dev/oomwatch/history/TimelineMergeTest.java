package dev.oomwatch.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimelineMergeTest {
  private static final long T = 1_795_000_200_000L;

  private static TimelinePoint point(final long ts, final long used) {
    return new TimelinePoint(ts, true, used, null, null, null, null, null, null, null, null, null, null, false);
  }

  @Test
  void aBucketWhoseEverySampleIsAtFullResolutionGivesWayAndAnyOtherIsServedWithoutItsStrayPoints() {
    final RollupPage page = new RollupPage(T, 10_000, 600_000);
    final List<TimelinePoint> full = new ArrayList<>();
    for (int s = 0; s < 40; s++) {
      final TimelinePoint p = point(T + s * 1_000L, 100 + s);
      page.add(p);
      // seconds 10-19 kept whole (a fork's detail); 35-39 only partly (the edge of the recent store)
      if (s >= 10 && s < 20 || s >= 35) {
        full.add(p);
      }
    }
    final TimelineMerge.Merged merged = TimelineMerge.merge(full, List.of(page), T, T + 39_000, 10_000);

    assertThat(merged.points()).extracting(TimelinePoint::timestampMs)
        .containsExactlyElementsOf(full.subList(0, 10).stream().map(TimelinePoint::timestampMs).toList());
    assertThat(merged.buckets()).extracting(BucketView::fromMs).containsExactly(T, T + 20_000, T + 30_000);
    final BucketView last = merged.buckets().get(2);
    assertThat(last.samples()).isEqualTo(10);
    assertThat(last.figures().get("usedMemory")).isEqualTo(new BucketView.Range(130, 139, 139));
    assertThat(merged.resolution()).containsExactly(
        new ResolutionSpan(T, T + 10_000, "10s"),
        new ResolutionSpan(T + 10_000, T + 19_000, ResolutionSpan.FULL),
        new ResolutionSpan(T + 20_000, T + 40_000, "10s"));
  }

  @Test
  void withoutBucketsTheTimelineIsItsPointsInOneFullSpan() {
    final TimelineMerge.Merged merged = TimelineMerge.merge(List.of(point(T + 2_000, 2), point(T, 1)), List.of(),
        T, T + 5_000, 10_000);
    assertThat(merged.points()).extracting(TimelinePoint::usedMemory).containsExactly(1L, 2L);
    assertThat(merged.resolution()).containsExactly(new ResolutionSpan(T, T + 2_000, ResolutionSpan.FULL));
  }
}
