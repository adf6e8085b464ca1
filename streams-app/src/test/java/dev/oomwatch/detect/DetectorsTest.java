package dev.oomwatch.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.join.KernelView;
import dev.oomwatch.schema.Severity;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Detector by detector on the numbers of the field guide. */
class DetectorsTest {
  private static final long MB = 1024L * 1024;
  private static final DetectionConfig CONFIG = DetectionConfig.defaults();

  static InstanceSnapshot snapshot(final long ts, final long usedMb, final long rssMb, final Double frag,
      final Long forkUsec, final Long topOmemMb, final long monitors, final Boolean unlimited, final Long maxmemoryMb,
      final Boolean persistent, final Long lastCowMb, final Long cgroupUsageMb, final Long cgroupLimitMb) {
    return new InstanceSnapshot("h", "h:6379", ts, true, "r", 1L, 100L, usedMb * MB, rssMb * MB,
        maxmemoryMb == null ? null : maxmemoryMb * MB, 16_384 * MB, frag, lastCowMb == null ? null : lastCowMb * MB,
        null, null, null, null, false, forkUsec, 3L, 0L, persistent, topOmemMb == null ? null : topOmemMb * MB,
        "slow@1.2.3.4:5 cmd=subscribe", monitors, unlimited, ts, rssMb * MB, null, null,
        cgroupLimitMb == null ? null : "/redis", cgroupUsageMb == null ? null : cgroupUsageMb * MB, null,
        cgroupLimitMb == null ? null : cgroupLimitMb * MB, 16_384 * MB, null, null, null, null, null, null, null,
        null, null, null, null, null);
  }

  static InstanceSnapshot plain(final long ts, final long usedMb, final long rssMb, final Double frag) {
    return snapshot(ts, usedMb, rssMb, frag, 1_000L, 0L, 0, false, 8_000L, false, null, null, null);
  }

  @Test
  void fragmentationMustBeSustainedOnMoreThan100Mb() {
    final InstanceState state = new InstanceState();
    final FragmentationDetector detector = new FragmentationDetector();
    InstanceTracker.observe(state, plain(0, 2_750, 4_120, 1.5), CONFIG);
    assertThat(detector.evaluate(state, plain(0, 2_750, 4_120, 1.5), CONFIG)).as("1.5 is not above 1.5").isEmpty();
    for (long t = 0; t <= 300_000; t += 60_000) {
      InstanceTracker.observe(state, plain(t, 2_750, 4_400, 1.6), CONFIG);
    }
    assertThat(detector.evaluate(state, plain(300_000, 2_750, 4_400, 1.6), CONFIG)).isPresent();
    final InstanceState small = new InstanceState();
    for (long t = 0; t <= 600_000; t += 60_000) {
      InstanceTracker.observe(small, plain(t, 50, 200, 4.0), CONFIG);
    }
    assertThat(detector.evaluate(small, plain(600_000, 50, 200, 4.0), CONFIG)).as("under 100 MB").isEmpty();
  }

  @Test
  void clientBuffersAndMonitorsAndUnlimitedNormalBuffers() {
    final ClientBufferDetector detector = new ClientBufferDetector();
    final InstanceState state = new InstanceState();
    assertThat(detector.evaluate(state, snapshot(0, 100, 110, 1.1, 1L, 300L, 0, false, 500L, false, null, null, null), CONFIG))
        .get().extracting(Finding::severity).isEqualTo(Severity.WARNING);
    assertThat(detector.evaluate(state, snapshot(0, 100, 110, 1.1, 1L, 10L, 1, false, 500L, false, null, null, null), CONFIG))
        .get().extracting(Finding::summary).asString().contains("MONITOR");
    assertThat(detector.evaluate(state, snapshot(0, 100, 110, 1.1, 1L, 10L, 0, true, 500L, false, null, null, null), CONFIG))
        .get().extracting(Finding::severity).isEqualTo(Severity.INFO);
    assertThat(detector.evaluate(state, snapshot(0, 100, 110, 1.1, 1L, 255L, 0, false, 500L, false, null, null, null), CONFIG))
        .isEmpty();
  }

  @Test
  void forkSlowAbove500Ms() {
    final ForkSlowDetector detector = new ForkSlowDetector();
    assertThat(detector.evaluate(new InstanceState(), snapshot(0, 1, 1, 1.0, 500_000L, 0L, 0, false, 1L, false, null, null, null), CONFIG)).isEmpty();
    assertThat(detector.evaluate(new InstanceState(), snapshot(0, 1, 1, 1.0, 742_000L, 0L, 0, false, 1L, false, null, null, null), CONFIG))
        .get().extracting(Finding::summary).asString().contains("742 ms");
  }

  @Test
  void maxmemoryUnsetOrAboveHalfTheLimitOnAPersistentInstance() {
    final MaxmemoryDetector detector = new MaxmemoryDetector();
    assertThat(detector.evaluate(new InstanceState(), snapshot(0, 100, 110, 1.0, 1L, 0L, 0, false, 0L, true, null, 120L, 1_000L), CONFIG))
        .get().extracting(Finding::summary).asString().contains("not set");
    assertThat(detector.evaluate(new InstanceState(), snapshot(0, 100, 110, 1.0, 1L, 0L, 0, false, 600L, true, null, 120L, 1_000L), CONFIG))
        .isPresent();
    assertThat(detector.evaluate(new InstanceState(), snapshot(0, 100, 110, 1.0, 1L, 0L, 0, false, 500L, true, null, 120L, 1_000L), CONFIG))
        .isEmpty();
    assertThat(detector.evaluate(new InstanceState(), snapshot(0, 100, 110, 1.0, 1L, 0L, 0, false, 900L, false, null, 120L, 1_000L), CONFIG))
        .as("a cache without persistence may use up to the limit").isEmpty();
  }

  @Test
  void cowHeadroomUsesTheLastForksCopyWhereKnownAndRaisesItWhenOverHalfTheData() {
    final CowHeadroomDetector detector = new CowHeadroomDetector();
    // the guide's example: 2.75 GB used, 4.12 GB resident; a last COW of 1.6 GB; a 5 GB limit
    final InstanceSnapshot heavy = snapshot(0, 2_816, 4_219, 1.5, 1L, 0L, 0, false, 2_000L, true, 1_600L, 4_219L, 5_120L);
    assertThat(detector.evaluate(new InstanceState(), heavy, CONFIG)).get().extracting(Finding::severity).isEqualTo(Severity.CRITICAL);
    final InstanceSnapshot light = snapshot(0, 2_816, 3_000, 1.1, 1L, 0L, 0, false, 2_000L, true, 100L, 3_000L, 5_120L);
    assertThat(detector.evaluate(new InstanceState(), light, CONFIG)).isEmpty();
    final InstanceSnapshot cache = snapshot(0, 2_816, 4_219, 1.5, 1L, 0L, 0, false, 2_000L, false, null, 4_219L, 5_120L);
    assertThat(detector.evaluate(new InstanceState(), cache, CONFIG)).as("no persistence, no fork").isEmpty();
  }

  @Test
  void hostSettings() {
    final KernelView risky = new KernelView(0, 16_384 * MB, 0, "always", 0L, List.of(), null);
    final KernelView safe = new KernelView(0, 16_384 * MB, 1, "never", 0L, List.of(), null);
    final HostInstances persistent = new HostInstances(true, false, List.of(plain(0, 100, 120, 1.2)));
    final HostInstances volatileOnly = new HostInstances(false, false, List.of(plain(0, 100, 120, 1.2)));
    assertThat(new HostSettingsDetectors.Overcommit().evaluate(risky, persistent, CONFIG)).isPresent();
    assertThat(new HostSettingsDetectors.Overcommit().evaluate(risky, volatileOnly, CONFIG)).as("no persistent instance").isEmpty();
    assertThat(new HostSettingsDetectors.Overcommit().evaluate(safe, persistent, CONFIG)).isEmpty();
    assertThat(new HostSettingsDetectors.Overcommit().evaluate(risky, new HostInstances(true, true, persistent.latest()), CONFIG))
        .get().extracting(Finding::fix).asString().contains("a pod cannot change it");
    assertThat(new HostSettingsDetectors.TransparentHugePages().evaluate(safe, persistent, CONFIG)).isEmpty();
  }

  @Test
  void forkWarningsSayWhatAGroupKillMeansAndCountAReplicasFullSync() {
    final CowHeadroomDetector detector = new CowHeadroomDetector();
    final InstanceSnapshot heavy = snapshot(0, 2_816, 4_219, 1.5, 1L, 0L, 0, false, 2_000L, true, 1_600L, 4_219L, 5_120L);
    assertThat(detector.evaluate(new InstanceState(), with(heavy, true, null), CONFIG)).get()
        .extracting(Finding::summary).asString().contains("takes the whole container (memory.oom.group)");
    assertThat(detector.evaluate(new InstanceState(), heavy, CONFIG)).get()
        .extracting(Finding::summary).asString().doesNotContain("memory.oom.group");
    // fits a BGSAVE, not a full sync: the replica's buffer may grow to its hard limit meanwhile
    final InstanceSnapshot light = snapshot(0, 2_816, 3_000, 1.1, 1L, 0L, 0, false, 2_000L, true, 100L, 3_000L, 5_120L);
    final dev.oomwatch.join.RedisDetail primary = new dev.oomwatch.join.RedisDetail("7.2.4", null, null, null, null, 0L,
        1024L * 1024, null, "master", 1L, 0, 3L, 1024L * 1024, "ok", "ok", true, true, false, true, 2_560 * MB);
    final Finding sync = detector.evaluate(new InstanceState(), with(light, null, primary), CONFIG).orElseThrow();
    assertThat(sync.severity()).isEqualTo(Severity.WARNING);
    assertThat(sync.summary()).startsWith("A replica's full sync from h:6379 would need about")
        .contains("of the replica's output buffer");
    assertThat(sync.evidence()).containsEntry("replicaBufferLimitBytes", String.valueOf(2_560 * MB));
    assertThat(detector.evaluate(new InstanceState(), light, CONFIG)).as("no replicas").isEmpty();
  }

  private static InstanceSnapshot with(final InstanceSnapshot s, final Boolean oomGroup,
      final dev.oomwatch.join.RedisDetail detail) {
    return new InstanceSnapshot(s.host(), s.instance(), s.timestampMs(), s.reachable(), s.runId(), s.pid(), s.uptimeSeconds(),
        s.usedMemory(), s.usedMemoryRss(), s.maxmemory(), s.totalSystemMemory(), s.fragmentationRatio(), s.lastCowSize(),
        s.currentCowSize(), s.forkPercent(), s.keysProcessed(), s.keysTotal(), s.redisForking(), s.latestForkUsec(),
        s.totalForks(), s.oomErrors(), s.persistent(), s.topClientOmem(), s.topClient(), s.monitorClients(),
        s.normalBuffersUnlimited(), s.kernelTimestampMs(), s.serverRss(), s.childPid(), s.childRss(), s.cgroupPath(),
        s.cgroupUsage(), s.cgroupAnon(), s.cgroupLimit(), s.hostMemTotal(), s.identity(), s.podName(), s.podNamespace(),
        s.containerName(), s.workingSet(), s.limitPath(), s.limitPathUsage(), 2, oomGroup, s.serverAnonHugePages(), detail,
        s.cluster());
  }

  @Test
  void transparentHugePagesAreJudgedPerInstance() {
    final KernelView always = new KernelView(0, 16_384 * MB, 1, "always", 0L, List.of(), null);
    final KernelView madvise = new KernelView(0, 16_384 * MB, 1, "madvise", 0L, List.of(), null);
    final HostSettingsDetectors.TransparentHugePages thp = new HostSettingsDetectors.TransparentHugePages();
    assertThat(thp.evaluate(madvise, HostInstances.NONE, CONFIG)).as("a host without Redis").isEmpty();
    assertThat(thp.evaluate(always, HostInstances.NONE, CONFIG)).as("a host without Redis").isEmpty();
    final InstanceSnapshot modern = withDetail(plain(0, 100, 120, 1.2), "7.2.4", null, null);
    final InstanceSnapshot old = withDetail(plain(0, 100, 120, 1.2), "6.0.16", null, null);
    final InstanceSnapshot optedOut = withDetail(plain(0, 100, 120, 1.2), "7.2.4", false, null);
    final InstanceSnapshot holding = withDetail(plain(0, 100, 120, 1.2), "7.2.4", true, 64 * MB);
    final Finding modernOnly = thp.evaluate(always, new HostInstances(true, false, List.of(modern)), CONFIG).orElseThrow();
    assertThat(modernOnly.severity()).isEqualTo(Severity.INFO);
    assertThat(modernOnly.summary()).contains("No Redis here is exposed").contains("turns THP off for itself");
    final Finding mixed = thp.evaluate(always, new HostInstances(true, false, List.of(modern, old, optedOut)), CONFIG)
        .orElseThrow();
    assertThat(mixed.severity()).isEqualTo(Severity.WARNING);
    assertThat(mixed.evidence()).containsEntry("exposedInstances", "2");
    assertThat(mixed.summary()).contains("older than 6.2").contains("disable-thp no").contains("not exposed");
    assertThat(thp.evaluate(madvise, new HostInstances(true, false, List.of(old)), CONFIG)).get()
        .extracting(Finding::severity).as("madvise: jemalloc asks for no huge pages").isEqualTo(Severity.INFO);
    assertThat(thp.evaluate(madvise, new HostInstances(true, false, List.of(holding)), CONFIG)).get()
        .extracting(Finding::severity).as("measured: it holds huge pages").isEqualTo(Severity.WARNING);
    assertThat(HostSettingsDetectors.TransparentHugePages.turnsThpOff("valkey 8.1.1")).isTrue();
    assertThat(HostSettingsDetectors.TransparentHugePages.turnsThpOff("6.2.0")).isTrue();
    assertThat(HostSettingsDetectors.TransparentHugePages.turnsThpOff("5.0.7")).isFalse();
  }

  private static InstanceSnapshot withDetail(final InstanceSnapshot s, final String version, final Boolean disableThp,
      final Long anonHuge) {
    final dev.oomwatch.join.RedisDetail detail = new dev.oomwatch.join.RedisDetail(version, null, null, null, null, null,
        null, null, "master", 0L, 0, 0L, null, "ok", "ok", true, true, false, disableThp, null);
    return new InstanceSnapshot(s.host(), s.instance(), s.timestampMs(), s.reachable(), s.runId(), s.pid(), s.uptimeSeconds(),
        s.usedMemory(), s.usedMemoryRss(), s.maxmemory(), s.totalSystemMemory(), s.fragmentationRatio(), s.lastCowSize(),
        s.currentCowSize(), s.forkPercent(), s.keysProcessed(), s.keysTotal(), s.redisForking(), s.latestForkUsec(),
        s.totalForks(), s.oomErrors(), s.persistent(), s.topClientOmem(), s.topClient(), s.monitorClients(),
        s.normalBuffersUnlimited(), s.kernelTimestampMs(), s.serverRss(), s.childPid(), s.childRss(), s.cgroupPath(),
        s.cgroupUsage(), s.cgroupAnon(), s.cgroupLimit(), s.hostMemTotal(), s.identity(), s.podName(), s.podNamespace(),
        s.containerName(), s.workingSet(), s.limitPath(), s.limitPathUsage(), s.cgroupVersion(), s.oomGroup(), anonHuge,
        detail, s.cluster());
  }
}
