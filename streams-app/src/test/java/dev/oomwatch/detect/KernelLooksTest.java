package dev.oomwatch.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.join.KernelView;
import dev.oomwatch.join.SnapshotBuilder;
import dev.oomwatch.schema.CgroupMemory;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.ProcessRole;
import dev.oomwatch.schema.RedisSample;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which kernel looks between Redis samples are judged, and when. */
class KernelLooksTest {
  private static final long MB = 1024L * 1024;
  private static final long T = 1_795_000_000_000L;
  private static final long LIMIT_MB = 4096;
  private final DetectionConfig config = DetectionConfig.defaults();

  @Test
  void aQuietLookWaitsForTheNextRedisSampleAMovedOneIsJudgedAtItsOwnTime() {
    final InstanceSnapshot latest = joined(redis(T, false), look(T - 500, 340, null));
    assertThat(KernelLooks.toJudge(latest, latest, look(T + 500, 341, null), config)).isNull();
    // 60 MB in a 4 GiB cgroup: more than a hundredth of the limit
    final InstanceSnapshot moved = KernelLooks.toJudge(latest, latest, look(T + 500, 400, null), config);
    assertThat(moved).isNotNull();
    assertThat(moved.timestampMs()).isEqualTo(T + 500);
    assertThat(moved.cgroupUsage()).isEqualTo(400 * MB);
  }

  @Test
  void aForkChildTheKernelSeesFirstIsJudgedAtOnce() {
    final InstanceSnapshot latest = joined(redis(T, false), look(T - 500, 340, null));
    final InstanceSnapshot look = KernelLooks.toJudge(latest, latest, look(T + 200, 341, 9001L), config);
    assertThat(look).isNotNull();
    assertThat(look.forking()).isTrue();
  }

  @Test
  void aLookCompletingARedisSampleReadBeforeItsHostSampleIsJudged() {
    final InstanceSnapshot latest = SnapshotBuilder.build(redis(T, false), null);
    assertThat(KernelLooks.toJudge(latest, latest, look(T + 300, 340, null), config)).isNotNull();
  }

  @Test
  void aLateLookDuringAForkIsJudgedAtTheLatestSnapshotsTime() {
    final InstanceSnapshot latest = joined(redis(T + 1_800, true), look(T - 500, 340, null));
    final InstanceSnapshot late = KernelLooks.toJudge(latest, latest, look(T + 1_700, 500, 9001L), config);
    assertThat(late).isNotNull();
    assertThat(late.timestampMs()).as("time never runs back").isEqualTo(T + 1_800);
    assertThat(late.kernelTimestampMs()).isEqualTo(T + 1_700);
    assertThat(late.cgroupUsage()).isEqualTo(500 * MB);
  }

  @Test
  void aLateLookIsIgnoredOnceRedisSaysTheForkEndedWhenItIsOlderThanTheJoinedViewOrOutOfReach() {
    final InstanceSnapshot ended = joined(redis(T + 1_000, false), look(T - 500, 340, null));
    assertThat(KernelLooks.toJudge(ended, ended, look(T + 900, 500, 9001L), config)).as("fork over").isNull();
    final InstanceSnapshot forking = joined(redis(T + 1_000, true), look(T + 800, 360, 9001L));
    assertThat(KernelLooks.toJudge(forking, forking, look(T + 700, 350, 9001L), config)).as("older than joined").isNull();
    final InstanceSnapshot far = joined(redis(T + 5_000, true), look(T - 500, 340, null));
    assertThat(KernelLooks.toJudge(far, far, look(T + 2_000, 500, 9001L), config)).as("beyond the join's 2 s").isNull();
  }

  private static InstanceSnapshot joined(final RedisSample redis, final KernelView view) {
    return SnapshotBuilder.build(redis, view);
  }

  private static RedisSample redis(final long ts, final boolean forking) {
    return RedisSample.newBuilder().setHost("h").setInstance("h:6379").setTimestampMs(ts).setReachable(true)
        .setRunId("r").setProcessId(100L).setUsedMemory(300 * MB).setUsedMemoryRss(330 * MB)
        .setRdbBgsaveInProgress(forking).build();
  }

  /** The kernel's view at {@code ts}: the server, its fork child if any, the cgroup's usage. */
  private static KernelView look(final long ts, final long usageMb, final Long childPid) {
    final CgroupMemory cgroup = CgroupMemory.newBuilder().setPath("/redis").setVersion(1)
        .setUsage(usageMb * MB).setLimit(LIMIT_MB * MB).build();
    final List<ProcessMemory> processes = new ArrayList<>();
    processes.add(ProcessMemory.newBuilder().setPid(100).setPpid(1).setComm("redis-server").setRole(ProcessRole.SERVER)
        .setServerPid(100).setListenPorts(List.of(6379)).setVmRss(330 * MB).setCgroup(cgroup).build());
    if (childPid != null) {
      processes.add(ProcessMemory.newBuilder().setPid(childPid).setPpid(100).setComm("redis-server")
          .setRole(ProcessRole.FORK_CHILD).setServerPid(100).setVmRss(50 * MB).setCgroup(cgroup).build());
    }
    return KernelView.of(HostSample.newBuilder().setHost("h").setTimestampMs(ts).setProcesses(processes).build());
  }
}
