package dev.oomwatch.collector.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.schema.CgroupMemory;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.ProcessRole;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A group kill names the tasks of its cgroup the kernel skipped (oom_score_adj -1000) as spared. */
class GroupKillSparedTest {
  private static final String CONTAINER = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7c1d6a2e_5b1f_"
      + "4d2a_9d0e_1a2b3c4d5e6f.slice/cri-containerd-4b8a0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b.scope";

  @Test
  void theTasksTheGroupKillSkippedAreNamedAsSpared() {
    final KernelEvent kill = OomKillAssemblerTest.replay("kmsg/6.1-documented/group-kill-fork-child.txt").get(0);
    final HostSample last = HostSample.newBuilder().setHost("h").setTimestampMs(1).setProcesses(List.of(
        process(3090, "redis-server", 0, CONTAINER),
        process(3112, "redis-server", 200, CONTAINER),
        process(3150, "redis-server", -1000, CONTAINER),
        process(4000, "redis-server", -1000, "/kubepods.slice/other.scope"))).build();
    final KernelEvent enriched = KernelSampling.withSpared(kill, last);
    assertThat(enriched.getSpared()).extracting(t -> t.getPid()).containsExactly(3150L);
    assertThat(enriched.getSpared().get(0).getOomScoreAdj()).isEqualTo(-1000);
  }

  @Test
  void aKillOfOneTaskSparesNothingByName() {
    final KernelEvent kill = OomKillAssemblerTest.replay("kmsg/6.1-documented/global-kill-v2.txt").get(0);
    final HostSample last = HostSample.newBuilder().setHost("h").setTimestampMs(1)
        .setProcesses(List.of(process(3150, "redis-server", -1000, CONTAINER))).build();
    assertThat(KernelSampling.withSpared(kill, last).getSpared()).isEmpty();
  }

  private static ProcessMemory process(final long pid, final String comm, final int adj, final String cgroup) {
    return ProcessMemory.newBuilder().setPid(pid).setPpid(1).setComm(comm).setRole(ProcessRole.SERVER).setServerPid(pid)
        .setOomScoreAdj(adj).setCgroup(CgroupMemory.newBuilder().setPath(cgroup).setVersion(2).build()).build();
  }
}
