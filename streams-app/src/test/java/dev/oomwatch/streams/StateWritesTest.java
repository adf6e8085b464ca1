package dev.oomwatch.streams;

import static dev.oomwatch.streams.Series.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.detect.InstanceState;
import dev.oomwatch.join.HostWindow;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/**
 * What the state stores (and so their changelogs, what a crash restores) hold while records flow:
 * a transition at once, a routine change at most the flush delay later.
 */
class StateWritesTest {
  private static final long WALL = 1_800_000_000_000L;

  @Test
  void routineSamplesWaitForTheFlushWhileAForkStartIsWrittenAtOnce() {
    final Series s = new Series("state-01", 6379, "/redis", 4096);
    try (TopologyHarness t = new TopologyHarness(Map.of("detect.state.flush", "5s"), WALL)) {
      final KeyValueStore<String, InstanceState> instances = t.driver.getKeyValueStore(OomwatchTopology.INSTANCES);
      final KeyValueStore<String, HostWindow> hosts = t.driver.getKeyValueStore(OomwatchTopology.HOST_WINDOWS);
      final String key = DetectProcessor.instanceKey(s.host, s.instance);

      t.send(s.kernel(T0 - 500, 330, null, 0, 340));
      t.send(s.redis(T0, 300, 330, false, null));
      // a new instance is written at once; the host's first views wait
      assertThat(instances.get(key).latest().timestampMs()).isEqualTo(T0);
      assertThat(hosts.get(s.host)).isNull();

      for (int i = 1; i <= 3; i++) {
        t.send(s.kernel(T0 + i * 1000L - 500, 330, null, 0, 340));
        t.send(s.redis(T0 + i * 1000L, 300, 330, false, null));
      }
      assertThat(instances.get(key).latest().timestampMs()).as("routine samples are not written yet").isEqualTo(T0);

      t.driver.advanceWallClockTime(Duration.ofSeconds(6));
      assertThat(instances.get(key).latest().timestampMs()).as("written by the flush").isEqualTo(T0 + 3000);
      assertThat(hosts.get(s.host).latest().timestampMs()).isEqualTo(T0 + 2500);

      t.send(s.redis(T0 + 4000, 300, 330, true, 5.0));
      final InstanceState forking = instances.get(key);
      assertThat(forking.forkStartMs).as("a fork start is written with its record").isEqualTo(T0 + 4000);
      assertThat(forking.latest().timestampMs()).isEqualTo(T0 + 4000);

      t.send(s.kernel(T0 + 4500, 330, 9001L, 40, 380));
      assertThat(instances.get(key).childPids).as("the fork child's pid, a transition, at once").contains(9001L);
    }
  }

  @Test
  void aQuietKernelLookBetweenRedisSamplesWaitsForTheNextOneAMovedOneIsJudgedAtOnce() {
    final Series s = new Series("state-03", 6379, "/redis", 4096);
    try (TopologyHarness t = new TopologyHarness(Map.of("detect.state.flush", "5s"), WALL)) {
      final KeyValueStore<String, InstanceState> instances = t.driver.getKeyValueStore(OomwatchTopology.INSTANCES);
      final String key = DetectProcessor.instanceKey(s.host, s.instance);
      t.send(s.kernel(T0 - 500, 330, null, 0, 340));
      t.send(s.redis(T0, 300, 330, false, null));
      t.send(s.kernel(T0 + 500, 331, null, 0, 341));
      assertThat(instances.get(key).latest().timestampMs()).as("a look that changes nothing").isEqualTo(T0);
      // 60 MB more in a 4 GiB cgroup: over a hundredth of the limit (judged, written by the flush)
      t.send(s.kernel(T0 + 700, 390, null, 0, 400));
      t.driver.advanceWallClockTime(java.time.Duration.ofSeconds(6));
      assertThat(instances.get(key).latest().timestampMs()).isEqualTo(T0 + 700);
      // a Redis sample read before any kernel view of its time is completed by the next look
      final Series late = new Series("state-04", 6379, "/redis", 4096);
      t.send(late.redis(T0, 300, 330, false, null));
      assertThat(instances.get(DetectProcessor.instanceKey(late.host, late.instance)).latest().cgroupLimit()).isNull();
      t.send(late.kernel(T0 + 300, 330, null, 0, 340));
      assertThat(instances.get(DetectProcessor.instanceKey(late.host, late.instance)).latest().cgroupLimit())
          .as("the first kernel view is written at once: the API shows it").isEqualTo(4096L * Series.MB);
      // and a fork child the kernel sees before Redis reports the save
      t.send(s.kernel(T0 + 900, 390, 9002L, 10, 401));
      assertThat(instances.get(key).forkStartMs).isEqualTo(T0 + 900);
    }
  }

  @Test
  void aZeroDelayWritesEveryChangeThrough() {
    final Series s = new Series("state-02", 6379, "/redis", 4096);
    try (TopologyHarness t = new TopologyHarness(Map.of("detect.state.flush", "0s"), WALL)) {
      final KeyValueStore<String, InstanceState> instances = t.driver.getKeyValueStore(OomwatchTopology.INSTANCES);
      for (int i = 0; i < 3; i++) {
        t.send(s.kernel(T0 + i * 1000L - 500, 330, null, 0, 340));
        t.send(s.redis(T0 + i * 1000L, 300, 330, false, null));
      }
      assertThat(instances.get(DetectProcessor.instanceKey(s.host, s.instance)).latest().timestampMs()).isEqualTo(T0 + 2000);
    }
  }
}
