package dev.oomwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CollectorCommandTest {
  @Test
  void theEnvironmentSetsTheLogLevelUnlessTheLauncherAlreadyDid() {
    assertThat(CollectorCommand.logLevel("DEBUG ", null)).isEqualTo("debug");
    assertThat(CollectorCommand.logLevel("debug", "info")).as("bin/oomwatch passed it").isNull();
    assertThat(CollectorCommand.logLevel(null, null)).isNull();
    assertThat(CollectorCommand.logLevel(" ", null)).isNull();
  }
}
