package dev.oomwatch.sizing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.detect.DetectionConfig;
import dev.oomwatch.detect.Finding;
import dev.oomwatch.detect.InstanceState;
import dev.oomwatch.detect.InstanceTracker;
import dev.oomwatch.detect.MaxmemoryDetector;
import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.join.RedisDetail;
import org.junit.jupiter.api.Test;

/** The sizing advice from an instance's own history, folded by the tracker as the streams-app does. */
class SizingTest {
  private static final long MB = 1024L * 1024;
  private static final long DAY = 86_400_000L;
  private static final DetectionConfig CONFIG = DetectionConfig.defaults();

  /** 400 MB of data, 440 MB resident in a 1000 MB cgroup; {@code physicalMb} the cgroup's usage. */
  private static InstanceSnapshot look(final long ts, final long usedMb, final long physicalMb, final boolean forking,
      final Long lastCowMb, final Long maxmemoryMb, final Boolean persistent, final RedisDetail detail) {
    return new InstanceSnapshot("h", "h:6379", ts, true, "run", 10L, 100L, usedMb * MB, physicalMb * MB,
        maxmemoryMb == null ? null : maxmemoryMb * MB, 16_384 * MB, 1.1, lastCowMb == null ? null : lastCowMb * MB,
        null, null, null, null, forking, 1_000L, 1L, 0L, persistent, 0L, null, 0L, false, ts, physicalMb * MB, null,
        null, "/kubepods/pod1/c1", physicalMb * MB, physicalMb * MB, 1_000 * MB, 16_384 * MB, "RESOLVED", null, null,
        null, null, null, null, 1, false, 0L, detail, null);
  }

  private static InstanceSnapshot quiet(final long ts, final long physicalMb) {
    return look(ts, 400, physicalMb, false, null, 0L, true, null);
  }

  @Test
  void anInstanceThatNeverForkedIsSizedForAFullCopyAndSaysSo() {
    final InstanceState state = new InstanceState();
    InstanceTracker.observe(state, quiet(1_000, 440), CONFIG);
    final Sizing s = Sizing.of(state.sizing, state.latest());
    assertThat(s.copyBasis()).isEqualTo("full copy");
    assertThat(s.forksSeen()).isZero();
    assertThat(s.residentRatio()).isEqualTo(1.1);
    // 400 MB x (1.1 resident + 1.1 copied) = 880 MB; 1000 MB / 2.2 = 454.5 MB
    assertThat(s.neededLimitBytes()).isBetween(879 * MB, 881 * MB);
    assertThat(s.safeMaxmemoryBytes()).isBetween(454 * MB, 455 * MB);
    assertThat(s.headroomBytes()).isBetween(119 * MB, 121 * MB);
    assertThat(s.basis()).contains("no fork seen in 7 days");
  }

  @Test
  void aMeasuredForkSizesFromWhatItCopied() {
    final InstanceState state = new InstanceState();
    InstanceTracker.observe(state, quiet(1_000, 440), CONFIG);
    InstanceTracker.observe(state, look(2_000, 400, 480, true, null, 0L, true, null), CONFIG);
    InstanceTracker.observe(state, look(2_200, 400, 520, true, null, 0L, true, null), CONFIG);
    // Redis's own count of what the child copied (60 MB), not the kernel's rise (80 MB, with whatever the
    // server allocated meanwhile)
    InstanceTracker.observe(state, look(3_000, 400, 441, false, 60L, 0L, true, null), CONFIG);
    final Sizing s = Sizing.of(state.sizing, state.latest());
    assertThat(s.copyBasis()).isEqualTo("measured");
    assertThat(s.forksSeen()).isEqualTo(1);
    assertThat(s.copyRatio()).isEqualTo(0.15);
    // 400 x (1.1025 + 0.15) = 501 MB (the day's resident peak is 441/400); 1000 / 1.2525 = 798.4 MB
    assertThat(s.neededLimitBytes()).isBetween(500 * MB, 502 * MB);
    assertThat(s.safeMaxmemoryBytes()).isBetween(798 * MB, 799 * MB);
    assertThat(s.basis()).isEqualTo("the worst of 1 fork in 7 days copied 15% of its data");
    assertThat(s.advice()).startsWith("set maxmemory to 798 MB").contains("or the limit to 501");
  }

  @Test
  void aForkWhoseEndIsSeenBeforeRedisReportsItsCopyIsCorrectedByTheNextSample() {
    final InstanceState state = new InstanceState();
    InstanceTracker.observe(state, look(1_000, 400, 440, false, 10L, 0L, true, null), CONFIG);
    InstanceTracker.observe(state, look(2_000, 400, 600, true, 10L, 0L, true, null), CONFIG);
    // the kernel sees the child gone; Redis's figures are still the last fork's (10 MB)
    InstanceTracker.observe(state, look(3_000, 400, 440, false, 10L, 0L, true, null), CONFIG);
    assertThat(state.sizing.forks).singleElement().extracting(ForkSeen::copiedBytes).isEqualTo(160 * MB);
    InstanceTracker.observe(state, look(3_500, 400, 440, false, 40L, 0L, true, null), CONFIG);
    assertThat(state.sizing.forks).singleElement().extracting(ForkSeen::copiedBytes).isEqualTo(40 * MB);
  }

  @Test
  void aLookWithoutTheKernelsSideIsJudgedAgainstTheLastCgroupLimitSeen() {
    final InstanceState state = new InstanceState();
    InstanceTracker.observe(state, quiet(1_000, 440), CONFIG);
    final InstanceSnapshot bare = new InstanceSnapshot("h", "h:6379", 2_000, true, "run", 10L, 100L, 400 * MB, 440 * MB,
        0L, 16_384 * MB, 1.1, null, null, null, null, null, false, 1_000L, 1L, 0L, true, 0L, null, 0L, false, null,
        null, null, null, null, null, null, null, null, "RESOLVED", null, null, null, null, null, null, null, null, null,
        null, null);
    assertThat(bare.limit()).as("the look alone would say the host's RAM").isEqualTo(16_384 * MB);
    assertThat(Sizing.of(state.sizing, bare).limitBytes()).isEqualTo(1_000 * MB);
  }

  @Test
  void theWorstForkOfTheWindowCountsAndOlderOnesAreForgotten() {
    final InstanceState state = new InstanceState();
    InstanceTracker.observe(state, quiet(0, 440), CONFIG);
    // a heavy fork (copied 300 MB) on day 0, a light one (40 MB) on day 5
    InstanceTracker.observe(state, look(1_000, 400, 740, true, null, 0L, true, null), CONFIG);
    InstanceTracker.observe(state, look(2_000, 400, 440, false, 300L, 0L, true, null), CONFIG);
    InstanceTracker.observe(state, look(5 * DAY, 400, 480, true, null, 0L, true, null), CONFIG);
    InstanceTracker.observe(state, look(5 * DAY + 1_000, 400, 440, false, 40L, 0L, true, null), CONFIG);
    assertThat(Sizing.of(state.sizing, state.latest()).copyRatio()).isEqualTo(0.75);
    // day 9: the heavy one is older than the window, the light one decides
    InstanceTracker.observe(state, quiet(9 * DAY, 440), CONFIG);
    final Sizing later = Sizing.of(state.sizing, state.latest());
    assertThat(later.forksSeen()).isEqualTo(1);
    assertThat(later.copyRatio()).isEqualTo(0.1);
    assertThat(state.sizing.days).hasSizeLessThanOrEqualTo(8);
  }

  @Test
  void aWeekOfForksKeepsTheWorstSixteenCountsAllAndStaysUnderThreeKilobytes() throws Exception {
    final InstanceState state = new InstanceState();
    long t = 0;
    for (int fork = 0; fork < 100; fork++) {
      t += 6 * 3_600_000L / 5;
      InstanceTracker.observe(state, quiet(t, 440), CONFIG);
      InstanceTracker.observe(state, look(t + 1_000, 400, 480, true, null, 0L, true, null), CONFIG);
      // fork 37 copied the most
      InstanceTracker.observe(state, look(t + 2_000, 400, 440, false, fork == 37 ? 200L : 10L + fork % 7, 0L, true,
          null), CONFIG);
    }
    assertThat(state.sizing.forks).hasSizeLessThanOrEqualTo(16);
    final Sizing s = Sizing.of(state.sizing, state.latest());
    // 100 forks over 6 days, all within the window, and the worst of them decides
    assertThat(s.forksSeen()).isEqualTo(100);
    assertThat(s.copyRatio()).isEqualTo(0.5);
    final int bytes = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(state.sizing).length;
    System.out.println("sizing history of 100 forks in 6 days: " + bytes + " bytes of JSON");
    assertThat(bytes).isLessThan(3 * 1024);
  }

  @Test
  void aPrimaryWithReplicasKeepsRoomForAFullSyncAndBuffersGrownBack() {
    final RedisDetail primary = new RedisDetail("7.0.15", null, 380 * MB, null, 0L, 4 * MB, MB, null, "master", 1L, 0,
        1L, 100 * MB, "ok", "ok", true, true, false, true, 64 * MB);
    final InstanceState state = new InstanceState();
    final RedisDetail busy = new RedisDetail("7.0.15", null, 380 * MB, null, 30 * MB, 4 * MB, MB, null, "master", 1L, 0,
        1L, 100 * MB, "ok", "ok", true, true, false, true, 64 * MB);
    InstanceTracker.observe(state, look(1_000, 400, 440, false, null, 0L, true, busy), CONFIG);
    InstanceTracker.observe(state, look(2_000, 400, 440, false, null, 0L, true, primary), CONFIG);
    final Sizing s = Sizing.of(state.sizing, state.latest());
    assertThat(s.fullSyncReserveBytes()).isEqualTo(60 * MB);
    assertThat(s.bufferGrowthBytes()).isEqualTo(30 * MB);
    assertThat(s.neededLimitBytes()).isBetween(969 * MB, 971 * MB);
  }

  @Test
  void aKilledForkCountsWithItsCopyProjectedToItsEnd() {
    final InstanceState state = new InstanceState();
    InstanceTracker.observe(state, quiet(1_000, 440), CONFIG);
    final RedisDetail saving = new RedisDetail("7.0.15", "BGSAVE", 380 * MB, null, 0L, 0L, 0L, null, "master", 0L, 0,
        0L, MB, "ok", "ok", true, true, false, true, 256 * MB);
    final InstanceSnapshot forking = new InstanceSnapshot("h", "h:6379", 2_000, true, "run", 10L, 100L, 400 * MB,
        440 * MB, 0L, 16_384 * MB, 1.1, null, 100 * MB, 25.0, null, null, true, 1_000L, 1L, 0L, true, 0L, null, 0L, false,
        2_000L, 440 * MB, 11L, 100 * MB, "/kubepods/pod1/c1", 540 * MB, 540 * MB, 1_000 * MB, 16_384 * MB, "RESOLVED",
        null, null, null, null, null, null, 1, false, 0L, saving, null);
    InstanceTracker.observe(state, forking, CONFIG);
    final dev.oomwatch.schema.KernelEvent kill = dev.oomwatch.schema.KernelEvent.newBuilder().setHost("h")
        .setTimestampMs(2_500).setKind(dev.oomwatch.schema.KernelEventKind.OOM_KILL)
        .setSource(dev.oomwatch.schema.KernelEventSource.KMSG).setVictimPid(11L).setVictimComm("redis-server")
        .setMemcgLimit(1_000 * MB).setMemcgUsage(1_000 * MB).build();
    InstanceTracker.kill(state, kill, "FORK_CHILD", CONFIG);
    assertThat(state.sizing.forks).singleElement().satisfies(f -> {
      assertThat(f.killed()).isTrue();
      assertThat(f.kind()).isEqualTo("BGSAVE");
      // 100 MB copied at 25% done: 400 MB by its end, all of the data
      assertThat(f.copiedBytes()).isEqualTo(400 * MB);
    });
    // the child's end, seen at the next look, is the same fork
    InstanceTracker.observe(state, look(3_000, 400, 440, false, null, 0L, true, null), CONFIG);
    assertThat(state.sizing.forks).hasSize(1);
    assertThat(Sizing.of(state.sizing, state.latest()).basis()).contains("(1 killed or aborted, counted at their projected end)");
  }

  @Test
  void maxmemoryIsJudgedByTheInstancesOwnForksOnceItHasForked() {
    final InstanceState state = new InstanceState();
    final MaxmemoryDetector detector = new MaxmemoryDetector();
    // before any fork, the flat rule: 700 MB is above 50% of 1000 MB on a persistent instance
    InstanceTracker.observe(state, look(1_000, 400, 440, false, null, 700L, true, null), CONFIG);
    assertThat(detector.evaluate(state, state.latest(), CONFIG)).isPresent();
    InstanceTracker.observe(state, look(2_000, 400, 520, true, null, 700L, true, null), CONFIG);
    InstanceTracker.observe(state, look(3_000, 400, 440, false, 80L, 700L, true, null), CONFIG);
    // its forks copy 20%: 700 MB survives (safe 769 MB), 800 MB does not
    assertThat(detector.evaluate(state, state.latest(), CONFIG)).isEmpty();
    InstanceTracker.observe(state, look(4_000, 400, 440, false, 80L, 800L, true, null), CONFIG);
    final Finding f = detector.evaluate(state, state.latest(), CONFIG).orElseThrow();
    assertThat(f.summary()).contains("above the 769").contains("its worst fork survives");
    assertThat(f.fix()).contains("set maxmemory to 769").contains("or the limit to");
    assertThat(f.evidence()).containsEntry("sizingCopyBasis", "measured").containsKey("safeMaxmemoryBytes");
  }
}
