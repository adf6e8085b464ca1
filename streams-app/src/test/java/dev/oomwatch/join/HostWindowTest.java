package dev.oomwatch.join;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class HostWindowTest {
  private static KernelView at(final long ts) {
    return new KernelView(ts, 1L, 0, "never", 0L, List.of(), null);
  }

  private static List<Long> times(final HostWindow w) {
    return w.views().stream().map(KernelView::timestampMs).toList();
  }

  @Test
  void viewsStayInTimeOrderWhicheverOrderTheyCome() {
    HostWindow w = HostWindow.empty();
    for (final long ts : new long[] {1_000, 2_000, 1_500, 3_000, 500}) {
      w = w.add(at(ts));
    }
    assertThat(times(w)).containsExactly(500L, 1_000L, 1_500L, 2_000L, 3_000L);
    assertThat(w.asOf(1_700, 2_000).timestampMs()).isEqualTo(1_500L);
  }

  @Test
  void viewsBeyondTheJoinsReachAndBeyondTheCapacityLeave() {
    HostWindow w = HostWindow.empty();
    for (long ts = 0; ts <= 20_000; ts += 1_000) {
      w = w.add(at(ts));
    }
    assertThat(times(w)).containsExactly(15_000L, 16_000L, 17_000L, 18_000L, 19_000L, 20_000L);
    HostWindow burst = HostWindow.empty();
    for (long ts = 0; ts < 40 * 50; ts += 50) {
      burst = burst.add(at(ts));
    }
    assertThat(burst.views()).hasSize(HostWindow.CAPACITY);
    assertThat(burst.latest().timestampMs()).isEqualTo(39 * 50L);
  }
}
