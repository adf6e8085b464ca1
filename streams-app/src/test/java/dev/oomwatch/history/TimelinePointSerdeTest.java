package dev.oomwatch.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.oomwatch.streams.JsonSerde;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class TimelinePointSerdeTest {
  private final TimelinePointSerde serde = new TimelinePointSerde();

  @Test
  void everyFigureSurvivesTheRoundTripAndSoDoAbsentOnes() {
    final TimelinePoint full = new TimelinePoint(1_795_000_000_123L, true, 1L, 2L, 3L, -4L, 5L, 6L, 7L, 8L,
        Long.MAX_VALUE, Long.MIN_VALUE, 11L, true);
    final TimelinePoint sparse = new TimelinePoint(42L, false, null, 200L << 20, null, null, null, null, null, null,
        null, null, 1L << 30, false);
    final TimelinePoint none = new TimelinePoint(0L, false, null, null, null, null, null, null, null, null, null,
        null, null, true);
    for (final TimelinePoint p : new TimelinePoint[] {full, sparse, none}) {
      final byte[] bytes = serde.serializer().serialize("t", p);
      assertThat(serde.deserializer().deserialize("t", bytes)).isEqualTo(p);
    }
    assertThat(serde.serializer().serialize("t", full)).hasSize(100);
    assertThat(serde.serializer().serialize("t", none)).hasSize(12);
  }

  @Test
  void rowsWrittenBeforeAsSmileOrJsonAreStillRead() {
    final TimelinePoint p = new TimelinePoint(7L, true, 1L, null, 3L, null, null, null, 100L, 90L, 200L, 120L, 200L, false);
    final byte[] smile = new JsonSerde<>(TimelinePoint.class).serializer().serialize("t", p);
    assertThat(serde.deserializer().deserialize("t", smile)).isEqualTo(p);
    final byte[] json = "{\"timestampMs\":7,\"reachable\":true,\"usedMemory\":1,\"forking\":false}".getBytes(StandardCharsets.UTF_8);
    assertThat(serde.deserializer().deserialize("t", json).usedMemory()).isEqualTo(1L);
  }

  @Test
  void aTruncatedRowIsASerializationException() {
    final byte[] bytes = serde.serializer().serialize("t",
        new TimelinePoint(7L, true, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, false));
    assertThatThrownBy(() -> serde.deserializer().deserialize("timeline-changelog", java.util.Arrays.copyOf(bytes, 30)))
        .isInstanceOf(SerializationException.class).hasMessageContaining("timeline-changelog");
  }
}
