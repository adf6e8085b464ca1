package dev.oomwatch.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.KernelEventKind;
import dev.oomwatch.schema.KernelEventSource;
import org.junit.jupiter.api.Test;

class InstanceTrackerTest {
  private static final long T = 1_795_000_000_000L;
  private final DetectionConfig config = DetectionConfig.defaults();

  @Test
  void aKillReadAfterTheRestartItCausedMakesThatRestartAnOomRestart() {
    // Found by the end-to-end storm test: kill and restart travel on different topics, and the
    // restart's Redis sample was processed first, so the storm counted one kill short.
    final InstanceState state = new InstanceState();
    state.restarts.add(new RestartRecord(T + 4_000, "UNKNOWN", "a", "b", 1L));
    state.restarts.add(new RestartRecord(T + 4_000 + config.killCausesRestartWithin().toMillis() + 60_000,
        "UNKNOWN", "b", "c", 1L));
    InstanceTracker.kill(state, kill(T), "SERVER", config);
    assertThat(state.restarts).extracting(RestartRecord::cause).containsExactly("OOM_KILL", "UNKNOWN");
  }

  @Test
  void aForkChildsKillExplainsNoRestart() {
    final InstanceState state = new InstanceState();
    state.restarts.add(new RestartRecord(T + 4_000, "UNKNOWN", "a", "b", 1L));
    InstanceTracker.kill(state, kill(T), "FORK_CHILD", config);
    assertThat(state.restarts).extracting(RestartRecord::cause).containsExactly("UNKNOWN");
  }

  private static KernelEvent kill(final long ts) {
    return KernelEvent.newBuilder().setHost("h").setTimestampMs(ts).setKind(KernelEventKind.OOM_KILL)
        .setSource(KernelEventSource.KMSG).setVictimPid(42L).setVictimComm("redis-server").build();
  }
}
