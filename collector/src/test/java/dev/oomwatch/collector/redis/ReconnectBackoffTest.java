package dev.oomwatch.collector.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReconnectBackoffTest {
  @Test
  void aRefusedConnectionIsTriedAgainAtTheSamplingRateHoweverLongItLasts() {
    long wait = 0;
    for (int i = 0; i < 100; i++) {
      wait = ReconnectBackoff.next("REFUSED", wait, 1_000);
    }
    assertThat(wait).isEqualTo(1_000);
  }

  @Test
  void timeoutsBackOffToFiveSecondsAndRefusedPasswordsToThirty() {
    long timeout = 0;
    long auth = 0;
    for (int i = 0; i < 20; i++) {
      timeout = ReconnectBackoff.next("TIMEOUT", timeout, 1_000);
      auth = ReconnectBackoff.next("AUTH_FAILED", auth, 1_000);
    }
    assertThat(timeout).isEqualTo(5_000);
    assertThat(auth).isEqualTo(30_000);
    assertThat(ReconnectBackoff.next("TIMEOUT", 0, 1_000)).isEqualTo(1_000);
    assertThat(ReconnectBackoff.next("TIMEOUT", 1_000, 1_000)).isEqualTo(2_000);
  }
}
