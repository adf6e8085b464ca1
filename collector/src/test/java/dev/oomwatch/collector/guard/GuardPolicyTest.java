package dev.oomwatch.collector.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.CgroupMemory;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.ProcessRole;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The guard's pure parts: its projection, its budget, what it reads of /proc and of a sample. */
class GuardPolicyTest {
  private static final long MB = 1024L * 1024;

  @Test
  void theProjectionIsTheLastSecondsGrowthCarriedAhead() {
    final ForkProjection fork = new ForkProjection(0);
    fork.look(0, 100 * MB);
    assertThat(fork.projected(1_000)).as("one look: no rate yet").isEqualTo(100 * MB);
    fork.look(200, 110 * MB);
    fork.look(400, 120 * MB);
    assertThat(fork.growthPerSecond()).isEqualTo(50 * MB);
    assertThat(fork.projected(1_000)).isEqualTo(170 * MB);
    // looks older than a second leave the rate: it follows the fork as it slows
    fork.look(1_400, 121 * MB);
    fork.look(1_600, 122 * MB);
    assertThat(fork.growthPerSecond()).isEqualTo(5 * MB);
    fork.look(1_800, 100 * MB);
    assertThat(fork.growthPerSecond()).as("never negative").isZero();
  }

  @Test
  void theBudgetAllowsMaxAbortsPerWindowThenStandsDownUntilTheOldestLeaves() {
    final AbortBudget budget = new AbortBudget(3, 60_000);
    assertThat(budget.spend("a", 0)).isEqualTo(1);
    assertThat(budget.spend("a", 10_000)).isEqualTo(2);
    assertThat(budget.allows("b", 10_000)).as("per instance").isTrue();
    assertThat(budget.spend("a", 20_000)).isEqualTo(3);
    assertThat(budget.allows("a", 30_000)).isFalse();
    assertThat(budget.standsDownUntil("a")).isEqualTo(60_000);
    assertThat(budget.allows("a", 60_000)).isTrue();
    assertThat(budget.used("a", 60_000)).isEqualTo(2);
  }

  @Test
  void statIsReadAfterTheCommandWhateverTheProcessCalledItself() {
    // a comm with spaces and a ')' of its own: only the last ')' ends it
    final String stat = "4242 (redis-rdb ) 1 2) S 4200 4242 4200 0 -1 4194368 100 0 0 0 1 2 0 0 20 0 1 0 987654 "
        + "1000000 200 18446744073709551615 1 1 0 0 0 0 0 4096 17 0 0 0 0 0 0";
    final ChildSignal.Stat s = ChildSignal.parse(stat);
    assertThat(s.state()).isEqualTo('S');
    assertThat(s.ppid()).isEqualTo(4200);
    assertThat(s.startTime()).isEqualTo(987654);
    assertThatThrownBy(() -> ChildSignal.parse("4242 truncated")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void figuresAreTheCgroupsAnonymousMemoryAgainstItsSmallestLimitWithThePodsOthers() {
    final CgroupMemory own = CgroupMemory.newBuilder().setPath("/kubepods/pod1/c1").setVersion(1).setUsage(300 * MB)
        .setAnon(200 * MB).setLimit(null).setEffectiveLimit(512 * MB).setLimitPath("/kubepods/pod1")
        .setLimitPathUsage(350 * MB).build();
    final ProcessMemory server = ProcessMemory.newBuilder().setPid(10).setPpid(1).setComm("redis-server")
        .setRole(ProcessRole.SERVER).setServerPid(10).setCgroup(own).build();
    final HostSample sample = HostSample.newBuilder().setHost("h").setTimestampMs(0).setMemTotal(16_384 * MB)
        .setMemAvailable(8_000 * MB).setProcesses(List.of(server)).build();
    final ForkGuard.Figures f = ForkGuard.figures(server, server, sample);
    // 200 MB anon of its own and 50 MB of the pod's other container, against the pod's 512 MB
    assertThat(f.physical()).isEqualTo(250 * MB);
    assertThat(f.limit()).isEqualTo(512 * MB);
    final ProcessMemory bare = ProcessMemory.newBuilder(server).setCgroup(null).build();
    assertThat(ForkGuard.figures(bare, bare, sample)).as("no cgroup limit: the host's RAM")
        .isEqualTo(new ForkGuard.Figures(8_384 * MB, 16_384 * MB, null));
  }

  @Test
  void settingsAreCheckedAndOffByDefault() {
    final GuardConfig defaults = GuardConfig.from(Settings.empty());
    assertThat(defaults.enabled()).isFalse();
    assertThat(defaults.maxAborts()).isEqualTo(3);
    assertThatThrownBy(() -> GuardConfig.from(Settings.of(Map.of("guard.margin", "1.5"))))
        .hasMessageContaining("guard.margin");
  }
}
