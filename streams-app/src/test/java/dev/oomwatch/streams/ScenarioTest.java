package dev.oomwatch.streams;

import static dev.oomwatch.streams.Series.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.DeadLetter;
import dev.oomwatch.schema.Severity;
import dev.oomwatch.wire.Serdes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The topology on realistic series: what fires, in what order, and what must stay quiet. */
class ScenarioTest {
  private static final Set<AlertType> FORK_KILL_RESTART = EnumSet.of(AlertType.FORK_COW_SPIKE,
      AlertType.FORK_OOM_IMMINENT, AlertType.KERNEL_OOM_KILL, AlertType.REDIS_RESTART, AlertType.RESTART_STORM,
      AlertType.COW_HEADROOM_LOW);

  @Test
  void aQuietInstanceWithSmallPeriodicSavesRaisesNoForkKillOrRestartAlert() {
    final Series s = new Series("quiet-01", 6379, "/redis", 4096);
    s.lastCowMb = 4L;
    final List<Alert> all = new ArrayList<>();
    try (TopologyHarness t = new TopologyHarness()) {
      for (int i = 0; i < 600; i++) {
        final long ts = T0 + i * 1000L;
        final boolean saving = i % 60 >= 30 && i % 60 < 32;
        t.send(s.redis(ts, 300, 330, saving, saving ? 50.0 : null));
        t.send(s.kernel(ts + 500, 330, saving ? 9000L + i / 60 : null, saving ? 6 : 0, saving ? 345 : 340));
      }
      all.addAll(t.drain());
    }
    assertThat(all).noneMatch(a -> FORK_KILL_RESTART.contains(a.getType()));
    assertThat(all).isEmpty();
  }

  @Test
  void aPrimaryWithASmallBacklogWarnsAndRepeatedFullSyncsMakeItCritical() {
    final Series s = new Series("cache-11", 6379, "/redis", 4_000);
    s.replicas = 1;
    s.backlogMb = 1;
    s.cluster = "prod-eu-1";
    s.overcommit = 0;
    try (TopologyHarness t = new TopologyHarness()) {
      for (int i = 0; i < 5; i++) {
        t.send(s.redis(T0 + i * 1000L, 100, 120, false, null));
        t.send(s.kernel(T0 + i * 1000L + 500, 120, null, 0, 130));
      }
      final List<Alert> first = t.drain();
      // instance and host alerts alike say the cluster their samples came from
      assertThat(first).isNotEmpty().allMatch(a -> "prod-eu-1".equals(a.getCluster()));
      assertThat(first).anyMatch(a -> a.getType() == AlertType.OVERCOMMIT_HEURISTIC && a.getInstance() == null);
      assertThat(first).filteredOn(a -> a.getType() == AlertType.REPL_BACKLOG_SMALL).singleElement().satisfies(a -> {
        assertThat(a.getSeverity()).isEqualTo(Severity.WARNING);
        assertThat(a.getSummary()).contains("1 replica and a replication backlog of 1 MB");
      });
      // two full syncs served within the hour: each a fork of the primary
      for (int i = 5; i < 15; i++) {
        s.syncFull = i < 8 ? 0 : i < 12 ? 1 : 2;
        t.send(s.redis(T0 + i * 1000L, 100, 120, false, null));
      }
      assertThat(t.drain()).anyMatch(a -> a.getType() == AlertType.REPL_BACKLOG_SMALL && a.getSeverity() == Severity.CRITICAL
          && a.getEvidence().get("fullSyncsLastHour").equals("2"));
      // a backlog of 100 MB ends it
      s.backlogMb = 100;
      for (int i = 15; i < 90; i++) {
        t.send(s.redis(T0 + i * 1000L, 100, 120, false, null));
      }
      assertThat(t.drain()).anyMatch(a -> a.getType() == AlertType.REPL_BACKLOG_SMALL && a.getStatus() == AlertStatus.RESOLVED);
    }
  }

  @Test
  void aForkThatEndsWellFiresTheSpikeAndResolvesItAfterTheClearPeriod() {
    final Series s = new Series("cache-02", 6380, "/redis", 600);
    s.maxmemoryMb = 250;
    try (TopologyHarness t = new TopologyHarness()) {
      long ts = T0;
      for (int i = 0; i < 10; i++, ts += 1000) {
        t.send(s.redis(ts, 200, 220, false, null));
        t.send(s.kernel(ts + 500, 220, null, 0, 230));
      }
      for (int step = 1; step <= 10; step++, ts += 200) {
        t.send(s.redis(ts, 200, 220, true, step * 10.0));
        t.send(s.kernel(ts + 100, 220, 7000L, step * 10, 230 + step * 10));
      }
      for (int i = 0; i < 80; i++, ts += 1000) {
        t.send(s.redis(ts, 200, 220, false, null));
        t.send(s.kernel(ts + 500, 220, null, 0, 230));
      }
      final List<Alert> alerts = t.drain();
      assertThat(alerts).extracting(a -> a.getType() + "/" + a.getStatus())
          .containsExactly("FORK_COW_SPIKE/FIRING", "FORK_COW_SPIKE/RESOLVED");
      final Alert resolved = alerts.get(1);
      assertThat(resolved.getAlertId()).isEqualTo(alerts.get(0).getAlertId());
      assertThat(resolved.getResolvedAtMs() - resolved.getFiredAtMs()).isGreaterThanOrEqualTo(60_000L);
    }
  }

  @Test
  void aForksKernelLooksReadAfterTheRedisSamplesOfTheSameSecondsStillFireTheSpike() {
    final Series s = new Series("cache-12", 6380, "/redis", 600);
    s.maxmemoryMb = 250;
    try (TopologyHarness t = new TopologyHarness()) {
      long ts = T0;
      for (int i = 0; i < 10; i++, ts += 1000) {
        t.send(s.redis(ts, 200, 220, false, null));
        t.send(s.kernel(ts + 500, 220, null, 0, 230));
      }
      // the topics are read independently: the fork's Redis samples are all read first, joined with
      // the last view before the fork, and the kernel's looks at the copy come after them
      final long forkStart = ts;
      for (int step = 0; step < 10; step++) {
        t.send(s.redis(forkStart + step * 200L, 200, 220, true, step * 10.0));
      }
      assertThat(t.drain()).as("the Redis samples alone show no copy").isEmpty();
      for (int step = 0; step < 9; step++) {
        t.send(s.kernel(forkStart + step * 200L + 100, 220, 7000L, (step + 1) * 20, 230 + (step + 1) * 20));
      }
      final List<Alert> alerts = t.drain();
      assertThat(TopologyHarness.firing(alerts)).contains("FORK_COW_SPIKE/WARNING");
      final Alert spike = alerts.stream().filter(a -> a.getType() == AlertType.FORK_COW_SPIKE).findFirst().orElseThrow();
      assertThat(spike.getEventTimeMs()).as("stamped at the latest Redis sample, time never runs back")
          .isEqualTo(forkStart + 1800);
    }
  }

  @Test
  void aLateKernelLookAtAForkChildDoesNotReopenAForkRedisSaidHadEnded() {
    final Series s = new Series("cache-13", 6380, "/redis", 600);
    s.maxmemoryMb = 250;
    try (TopologyHarness t = new TopologyHarness()) {
      long ts = T0;
      for (int i = 0; i < 10; i++, ts += 1000) {
        t.send(s.redis(ts, 200, 220, false, null));
        t.send(s.kernel(ts + 500, 220, null, 0, 230));
      }
      t.send(s.redis(ts, 200, 220, true, 50.0));
      t.send(s.kernel(ts + 100, 220, 7001L, 5, 232));
      t.send(s.redis(ts + 1000, 200, 220, false, null));
      // the child's last look, read after Redis reported the save done: a big copy, but over
      t.send(s.kernel(ts + 900, 220, 7001L, 150, 380));
      assertThat(t.drain()).noneMatch(a -> FORK_KILL_RESTART.contains(a.getType()));
    }
  }

  @Test
  void aRestartWithoutAKillHasAnUnknownCause() {
    final Series s = new Series("cache-03", 6379, "/redis", 4096);
    try (TopologyHarness t = new TopologyHarness()) {
      for (int i = 0; i < 5; i++) {
        t.send(s.redis(T0 + i * 1000L, 100, 110, false, null));
      }
      s.restart(T0 + 5_000, 5151);
      t.send(s.redis(T0 + 5_000, 2, 8, false, null));
      final List<Alert> alerts = t.drain();
      assertThat(TopologyHarness.firing(alerts)).containsExactly("REDIS_RESTART/WARNING");
      assertThat(alerts.get(0).getEvidence()).containsEntry("cause", "UNKNOWN");
      assertThat(alerts.get(0).getSummary()).contains("cause unknown");
    }
  }

  @Test
  void threeRestartsInTenMinutesAreAStorm() {
    final Series s = new Series("cache-04", 6379, "/redis", 4096);
    try (TopologyHarness t = new TopologyHarness()) {
      long ts = T0;
      for (int restart = 0; restart < 3; restart++) {
        for (int i = 0; i < 30; i++, ts += 1000) {
          t.send(s.redis(ts, 100, 110, false, null));
        }
        s.restart(ts, 6000 + restart);
      }
      t.send(s.redis(ts, 100, 110, false, null));
      assertThat(TopologyHarness.firing(t.drain()))
          .containsExactly("REDIS_RESTART/WARNING", "RESTART_STORM/CRITICAL");
    }
  }

  @Test
  void redisRefusingWritesIsKeptApartFromKernelKills() {
    final Series s = new Series("cache-05", 6379, "/redis", 4096);
    try (TopologyHarness t = new TopologyHarness()) {
      for (int i = 0; i < 10; i++) {
        s.oomErrors = i < 5 ? 0 : i * 10L;
        t.send(s.redis(T0 + i * 1000L, 2000, 2100, false, null));
      }
      final List<Alert> alerts = t.drain();
      assertThat(TopologyHarness.firing(alerts)).containsExactly("REDIS_OOM_ERRORS/WARNING");
      assertThat(alerts.get(0).getSummary()).contains("not the kernel's");
    }
  }

  @Test
  void aKernelSampleArrivingAfterItsRedisSampleIsStillJoined() {
    final Series s = new Series("cache-06", 6379, "/redis", 600);
    s.maxmemoryMb = 300;
    try (TopologyHarness t = new TopologyHarness()) {
      // the kernel view of t=0.8 s arrives after the Redis sample of t=0 s (within the 2 s tolerance)
      t.send(s.redis(T0, 100, 120, false, null));
      assertThat(t.drain()).isEmpty();
      t.send(s.kernel(T0 + 800, 500, null, 0, 520));
      t.send(s.redis(T0 + 1_000, 100, 120, false, null));
      final List<Alert> alerts = t.drain();
      assertThat(TopologyHarness.firing(alerts)).contains("RSS_NEAR_LIMIT/WARNING");
      final Alert rss = alerts.stream().filter(a -> a.getType() == AlertType.RSS_NEAR_LIMIT).findFirst().orElseThrow();
      assertThat(rss.getEvidence()).containsEntry("physicalBytes", String.valueOf(520 * Series.MB))
          .containsEntry("limitBytes", String.valueOf(600 * Series.MB));
    }
  }

  @Test
  void aHostWhoseKernelSamplesStopFallsBackToRedisFiguresAndItsHostAlertsResolveAsStale() {
    final Series s = new Series("cache-07", 6379, "/redis", 600);
    s.thp = "always";
    s.disableThp = false;
    try (TopologyHarness t = new TopologyHarness()) {
      for (int i = 0; i < 10; i++) {
        t.send(s.redis(T0 + i * 1000L, 100, 120, false, null));
        t.send(s.kernel(T0 + i * 1000L + 500, 120, null, 0, 130));
      }
      assertThat(TopologyHarness.firing(t.drain())).containsExactly("THP_ENABLED/WARNING");
      // kernel samples stop; Redis goes on for 3 minutes
      for (int i = 10; i < 190; i++) {
        t.send(s.redis(T0 + i * 1000L, 100, 120, false, null));
      }
      t.advanceWallClock(Duration.ofSeconds(190));
      final List<Alert> later = t.drain();
      assertThat(later).extracting(a -> a.getType() + "/" + a.getStatus()).containsExactly("THP_ENABLED/RESOLVED");
      assertThat(later.get(0).getSummary()).contains("no kernel samples");
    }
  }

  @Test
  void anInstanceThatStopsReportingDoesNotKeepItsAlertsFiring() {
    final Series s = new Series("cache-08", 6379, "/redis", 600);
    try (TopologyHarness t = new TopologyHarness()) {
      for (int i = 0; i < 5; i++) {
        t.send(s.redis(T0 + i * 1000L, 100, 120, false, null));
        t.send(s.kernel(T0 + i * 1000L + 500, 500, null, 0, 520));
      }
      assertThat(TopologyHarness.firing(t.drain())).contains("RSS_NEAR_LIMIT/WARNING");
      t.advanceWallClock(Duration.ofMinutes(3));
      final List<Alert> later = t.drain();
      assertThat(later).isNotEmpty().allMatch(a -> a.getStatus() == AlertStatus.RESOLVED);
      assertThat(later).extracting(Alert::getType).contains(AlertType.RSS_NEAR_LIMIT);
    }
  }

  @Test
  void aRecordThatDoesNotDecodeGoesToTheDeadLetterTopicAndTheAppGoesOn() {
    final Series s = new Series("cache-09", 6379, "/redis", 4096);
    try (TopologyHarness t = new TopologyHarness()) {
      t.rawRedis.pipeInput("cache-09", new byte[] {(byte) 0xC3, 1, 9, 9, 9}, T0);
      s.restart(T0, 7000);
      t.send(s.redis(T0 + 1000, 100, 110, false, null));
      s.restart(T0 + 2000, 7001);
      t.send(s.redis(T0 + 2000, 100, 110, false, null));
      final List<DeadLetter> letters = t.deadLetters.readValuesToList();
      assertThat(letters).singleElement().satisfies(d -> {
        assertThat(d.getSourceTopic()).isEqualTo("oomwatch.redis-samples");
        assertThat(d.getReason()).contains("RedisSample");
        assertThat(d.getValue().remaining()).isEqualTo(5);
      });
      assertThat(TopologyHarness.firing(t.drain())).containsExactly("REDIS_RESTART/WARNING");
    }
  }

  /**
   * A detector that throws on one record (a bug meeting a state it did not foresee): that record is
   * a dead letter with the exception as its reason, and the partition goes on. Before, the stream
   * thread died on it, was replaced, and met it again, forever.
   */
  @Test
  void aRecordWhoseProcessingThrowsGoesToTheDeadLettersAndThePartitionGoesOn() {
    final Series s = new Series("cache-11", 6379, "/redis", 4096);
    final java.util.List<dev.oomwatch.detect.Detector> detectors = new java.util.ArrayList<>(dev.oomwatch.detect.Detectors.all());
    detectors.add(new dev.oomwatch.detect.Detector() {
      @Override
      public dev.oomwatch.schema.AlertType type() {
        return dev.oomwatch.schema.AlertType.FRAGMENTATION_HIGH;
      }

      @Override
      public java.util.Optional<dev.oomwatch.detect.Finding> evaluate(final dev.oomwatch.detect.InstanceState state,
          final dev.oomwatch.join.InstanceSnapshot now, final dev.oomwatch.detect.DetectionConfig config) {
        if (now.timestampMs() == T0 + 1000) {
          throw new IllegalStateException("a detector's bug, on this record only");
        }
        return java.util.Optional.empty();
      }
    });
    try (TopologyHarness t = new TopologyHarness(Map.of(), T0, detectors)) {
      s.restart(T0, 7000);
      t.send(s.redis(T0, 100, 110, false, null));
      t.send(s.redis(T0 + 1000, 100, 110, false, null));
      s.restart(T0 + 2000, 7001);
      t.send(s.redis(T0 + 2000, 100, 110, false, null));
      assertThat(t.deadLetters.readValuesToList()).singleElement().satisfies(d -> {
        assertThat(d.getSourceTopic()).isEqualTo("oomwatch.redis-samples");
        assertThat(d.getSourceOffset()).isEqualTo(1);
        assertThat(d.getReason()).contains("processing failed").contains("a detector's bug, on this record only");
        assertThat(Serdes.redisSample().deserializer().deserialize("x", d.getValue().array()).getTimestampMs())
            .isEqualTo(T0 + 1000);
      });
      // the records after it were judged: the restart at T0 + 2000 fires
      assertThat(TopologyHarness.firing(t.drain())).containsExactly("REDIS_RESTART/WARNING");
    }
  }

  @Test
  void everyAlertEventIsAlsoTheLatestWordInTheCompactedStateTopic() {
    final Series s = new Series("cache-10", 6379, "/redis", 600);
    try (TopologyHarness t = new TopologyHarness()) {
      t.send(s.redis(T0, 100, 120, false, null));
      t.send(s.kernel(T0 + 500, 500, null, 0, 520));
      final var state = t.alertState.readKeyValuesToList();
      assertThat(state).isNotEmpty().allSatisfy(kv -> assertThat(kv.key).startsWith("cache-10|cache-10:6379|"));
      assertThat(state).anySatisfy(kv -> assertThat(kv.key).isEqualTo("cache-10|cache-10:6379|RSS_NEAR_LIMIT"));
    }
  }
}
