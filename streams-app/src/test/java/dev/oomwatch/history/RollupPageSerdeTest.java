package dev.oomwatch.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class RollupPageSerdeTest {
  private static final long T = 1_795_000_200_000L;

  private static TimelinePoint point(final long ts, final Long used, final Long physical, final boolean forking,
      final Long childPid) {
    return new TimelinePoint(ts, used != null, used, used == null ? null : used + 4_096, 1L << 30, physical, childPid,
        childPid == null ? null : 1_000L, physical, physical, 2L << 30, physical, 2L << 30, forking);
  }

  @Test
  void keepsEachFiguresMinimumMaximumAndLastByTimestampNotArrivalAndReadsBackTheSame() {
    final RollupPage page = new RollupPage(T, 10_000, 600_000);
    page.add(point(T + 1_000, 500L, 900L, false, null));
    page.add(point(T + 3_000, 700L, 800L, false, null));
    page.add(point(T + 2_000, 100L, 950L, true, 77L)); // late: a low and a high, but not the last
    page.add(point(T + 25_000, null, 600L, false, null)); // unreachable: no used_memory in its bucket
    page.add(point(T + 45_000, 90L, 40L, false, null));

    final RollupPage read = RollupPageSerde.read(ByteBuffer.wrap(RollupPageSerde.write(page)));
    assertThat(read.startMs()).isEqualTo(T);
    assertThat(read.lastMs()).isEqualTo(T + 45_000);
    final List<RollupBucket> buckets = List.copyOf(read.buckets());
    assertThat(buckets).extracting(RollupBucket::startMs).containsExactly(T, T + 20_000, T + 40_000);
    final RollupBucket first = buckets.get(0);
    assertThat(first.samples()).isEqualTo(3);
    assertThat(first.reachable()).isEqualTo(3);
    assertThat(first.forking()).isTrue();
    assertThat(first.lastMs()).isEqualTo(T + 3_000);
    assertThat(first.min(0)).isEqualTo(100L);
    assertThat(first.max(0)).isEqualTo(700L);
    assertThat(first.last(0)).isEqualTo(700L);
    assertThat(first.min(3)).isEqualTo(800L);
    assertThat(first.max(3)).isEqualTo(950L);
    assertThat(first.last(3)).isEqualTo(800L);
    final RollupBucket unreachable = buckets.get(1);
    assertThat(unreachable.reachable()).isZero();
    assertThat(unreachable.has(0)).isFalse();
    assertThat(unreachable.last(3)).isEqualTo(600L);
    assertThat(buckets.get(2).last(0)).isEqualTo(90L);
  }

  @Test
  void aQuietBucketTakesAFewBytesPerFigure() {
    final RollupPage page = new RollupPage(T, 10_000, 600_000);
    for (int s = 0; s < 600; s++) {
      page.add(point(T + s * 1_000L, 300_000_000L + (s % 3) * 100, 320_000_000L, false, null));
    }
    final byte[] bytes = RollupPageSerde.write(page);
    // 60 buckets of 10 figures; the absolute values are written once
    assertThat(bytes.length).isLessThan(60 * 40);
    assertThat(RollupPageSerde.read(ByteBuffer.wrap(bytes)).buckets()).hasSize(60);
  }
}
