package dev.oomwatch.collector.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class BoundedBufferTest {

  @Test
  void keepsOrderAndDropsTheOldestSampleWhenFull() throws Exception {
    final BoundedBuffer<String> buffer = new BoundedBuffer<>(3);
    buffer.offer("s1", false);
    buffer.offer("kill", true);
    buffer.offer("s2", false);
    assertThat(buffer.offer("s3", false)).isEqualTo(1);
    assertThat(buffer.dropped()).isEqualTo(1);
    assertThat(buffer.take(10, 0)).containsExactly("kill", "s2", "s3");
  }

  @Test
  void keptRecordsGoOnlyWhenNothingElseIsLeft() throws Exception {
    final BoundedBuffer<String> buffer = new BoundedBuffer<>(2);
    buffer.offer("k1", true);
    buffer.offer("k2", true);
    buffer.offer("k3", true);
    assertThat(buffer.take(10, 0)).containsExactly("k2", "k3");
  }

  @Test
  void failedRecordsGoBackToTheHeadInOrderAndDeliveredOnesAreNeverResent() throws Exception {
    final BoundedBuffer<String> buffer = new BoundedBuffer<>(10);
    buffer.offer("a", false);
    buffer.offer("b", false);
    buffer.offer("c", false);
    buffer.offer("d", false);
    assertThat(buffer.take(3, 0)).containsExactly("a", "b", "c");
    buffer.offer("e", false);
    buffer.settle(new boolean[] {true, false, true});
    assertThat(buffer.take(10, 0)).containsExactly("a", "c", "d", "e");
    buffer.settle(new boolean[4]);
    assertThat(buffer.size()).isZero();
  }

  @Test
  void recordsInFlightAreNeverDroppedUnderThem() throws Exception {
    final BoundedBuffer<String> buffer = new BoundedBuffer<>(2);
    buffer.offer("a", false);
    buffer.offer("b", false);
    final List<String> batch = buffer.take(1, 0);
    buffer.offer("c", false); // full: drops "b", the oldest waiting, not "a" in flight
    buffer.settle(new boolean[] {true});
    assertThat(batch).containsExactly("a");
    assertThat(buffer.take(10, 0)).containsExactly("a", "c");
  }

  @Test
  void quietSamplesGatherButAKernelEventOrAForkSendsAtOnce() throws InterruptedException {
    final BoundedBuffer<String> buffer = new BoundedBuffer<>(100);
    buffer.offer("sample-1", false);
    final long start = System.nanoTime();
    buffer.gather(0, 300, 10, () -> false);
    assertThat((System.nanoTime() - start) / 1_000_000).as("a quiet sample waits for company").isGreaterThanOrEqualTo(250);

    buffer.take(10, 0);
    buffer.settle(new boolean[1]);
    buffer.offer("sample-2", false);
    buffer.offer("oom-kill", true);
    // a 60 s window would hang the test if the kill were held back
    buffer.gather(0, 60_000, 10, () -> false);
    assertThat(buffer.take(10, 0)).containsExactly("sample-2", "oom-kill");
    buffer.settle(new boolean[2]);

    buffer.offer("fork-sample", false);
    buffer.gather(0, 60_000, 10, () -> true);
    assertThat(buffer.take(10, 0)).containsExactly("fork-sample");
    buffer.settle(new boolean[1]);

    buffer.offer("a", false);
    buffer.offer("b", false);
    buffer.gather(0, 60_000, 2, () -> false);
    assertThat(buffer.take(10, 0)).as("a full batch goes").containsExactly("a", "b");
  }

  @Test
  void itHoldsTenMinutesOfEveryInstanceAndATenthMoreAndGrowsWithDiscoveredInstances() {
    assertThat(dev.oomwatch.collector.CollectorConfig.bufferFor(4, java.time.Duration.ofSeconds(1))).isEqualTo(3_300);
    assertThat(dev.oomwatch.collector.CollectorConfig.bufferFor(0, java.time.Duration.ofSeconds(1))).isEqualTo(1_000);
    final BoundedBuffer<String> buffer = new BoundedBuffer<>(2, s -> s.length());
    buffer.offer("aa", false);
    buffer.offer("bbb", false);
    assertThat(buffer.offer("c", false)).as("full: the oldest goes").isEqualTo(1);
    buffer.ensureCapacity(3);
    assertThat(buffer.offer("dd", false)).as("room for a third now").isZero();
    buffer.ensureCapacity(1);
    assertThat(buffer.size()).isEqualTo(3);
    assertThat(buffer.bytes()).isEqualTo(3 + 1 + 2);
  }
}
