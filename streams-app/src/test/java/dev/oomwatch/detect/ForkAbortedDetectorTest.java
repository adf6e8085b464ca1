package dev.oomwatch.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.Severity;
import org.junit.jupiter.api.Test;

/** FORK_ABORTED from the guard's record: one abort warns, aborts that keep coming are critical. */
class ForkAbortedDetectorTest {
  private static final long MB = 1024L * 1024;
  private static final DetectionConfig CONFIG = DetectionConfig.defaults();
  private final ForkAbortedDetector detector = new ForkAbortedDetector();

  @Test
  void oneAbortSaysWhatWasLostAndTheTimeSinceTheLastGoodSave() {
    final InstanceState state = new InstanceState();
    final InstanceSnapshot now = DetectorsTest.plain(600_000, 100, 120, 1.2);
    state.lastAbort = new AbortRecord(590_000, 4243, "BGSAVE", 240 * MB, 262 * MB, 30 * MB, 256 * MB, 4L, 1, null,
        420_000L);
    final Finding f = detector.evaluate(state, now, CONFIG).orElseThrow();
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.summary()).contains("ended the BGSAVE child (pid 4243)").contains("the server lives")
        .contains("The save did not happen").contains("Last good save 3 min ago");
    assertThat(f.evidence()).containsEntry("childExitedAfterMs", "4").containsEntry("sinceLastGoodSaveMs", "180000");
    assertThat(detector.evaluate(state, now.at(590_000 + CONFIG.eventHold().toMillis() + 1), CONFIG))
        .as("held for the event hold, then gone").isEmpty();
  }

  @Test
  void abortsThatKeepComingAreCriticalAndSayWhenTheGuardStandsDown() {
    final InstanceState state = new InstanceState();
    state.lastAbort = new AbortRecord(590_000, 4250, "AOF_REWRITE", 240 * MB, 262 * MB, 30 * MB, 256 * MB, 4L, 3,
        2_390_000L, null);
    final Finding f = detector.evaluate(state, DetectorsTest.plain(600_000, 100, 120, 1.2), CONFIG).orElseThrow();
    assertThat(f.severity()).isEqualTo(Severity.CRITICAL);
    assertThat(f.summary()).contains("Saves keep being aborted: 3").contains("the next such fork is a kill")
        .contains("The AOF rewrite did not happen");
  }
}
