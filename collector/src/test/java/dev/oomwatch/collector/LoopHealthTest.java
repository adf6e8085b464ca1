package dev.oomwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoopHealthTest {
  @Test
  void aLoopThatStopsBeatingIsStaleAfterTenPeriodsOrThirtySeconds() {
    final AtomicLong now = new AtomicLong(1_000_000);
    final LoopHealth health = new LoopHealth(now::get);
    health.register("fast", 50);
    health.register("slow", 5_000);
    now.addAndGet(29_000);
    assertThat(health.healthy()).isTrue();
    health.guarded("slow", () -> { }).run();
    now.addAndGet(2_000);
    assertThat(health.state()).containsEntry("fast", false).containsEntry("slow", true);
    assertThat(health.healthy()).isFalse();
  }

  @Test
  void anErrorEndsTheLoopAndItStopsBeating() {
    final AtomicLong now = new AtomicLong(0);
    final LoopHealth health = new LoopHealth(now::get);
    health.register("sampling", 100);
    final Runnable turn = health.guarded("sampling", () -> {
      throw new StackOverflowError("deep");
    });
    assertThatThrownBy(turn::run).isInstanceOf(StackOverflowError.class);
    now.addAndGet(31_000);
    assertThat(health.healthy()).isFalse();
  }

  @Test
  void aBlockingLoopIsHealthyWhileItsThreadRuns() throws Exception {
    final LoopHealth health = new LoopHealth(() -> 0);
    final java.util.concurrent.CountDownLatch fail = new java.util.concurrent.CountDownLatch(1);
    final Thread reader = new Thread(() -> {
      try {
        fail.await();
      } catch (InterruptedException e) {
        return;
      }
      throw new OutOfMemoryError("test");
    });
    reader.setUncaughtExceptionHandler((t, e) -> { });
    reader.start();
    health.watch("kernel-log", reader::isAlive);
    assertThat(health.state()).containsEntry("kernel-log", true);
    fail.countDown();
    reader.join();
    assertThat(health.state()).containsEntry("kernel-log", false);
    assertThat(health.healthy()).isFalse();
  }
}
