package dev.oomwatch.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DetailChunkSerdeTest {
  @Test
  void readsBackEverySnapshotWithItsNullsAndFlagsInAFewBytesEach() {
    final long t = 1_795_000_200_000L;
    final List<TimelinePoint> points = new ArrayList<>();
    points.add(new TimelinePoint(t, true, 500_000_000L, 520_000_000L, 1L << 30, 530_000_000L, null, null, 600_000_000L,
        550_000_000L, 1L << 31, 550_000_000L, 1L << 31, false));
    for (int i = 1; i < 300; i++) {
      points.add(new TimelinePoint(t + i * 200L, true, 500_000_000L + i, 520_000_000L, 1L << 30, 530_000_000L, 4_242L,
          10_000_000L + i * 4096L, 600_000_000L + i * 4096L, 550_000_000L + i * 4096L, 1L << 31,
          550_000_000L + i * 4096L, 1L << 31, true));
    }
    points.add(new TimelinePoint(t + 70_000, false, null, null, null, null, null, null, 100L, 90L, 1L << 31, 90L,
        1L << 31, false));
    final DetailChunk chunk = new DetailChunk(points);
    final byte[] bytes = DetailChunkSerde.write(chunk);
    assertThat(DetailChunkSerde.read(ByteBuffer.wrap(bytes))).isEqualTo(chunk);
    assertThat(bytes.length).as("a fork's 200 ms snapshots").isLessThan(points.size() * 24);
  }
}
