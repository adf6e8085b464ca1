package dev.oomwatch.collector.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.schema.CgroupMemory;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.KernelEventKind;
import dev.oomwatch.schema.KernelEventSource;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.ProcessRole;
import java.util.List;
import org.junit.jupiter.api.Test;

class OomKillInferenceTest {

  static CgroupMemory cgroup(final String path, final long kills) {
    return CgroupMemory.newBuilder().setPath(path).setVersion(2).setOomKill(kills).setLimit(100L).setUsage(99L).build();
  }

  static HostSample sample(final long ts, final long vmstatKills, final CgroupMemory... cgroups) {
    final List<ProcessMemory> processes = java.util.Arrays.stream(cgroups).map(c -> ProcessMemory.newBuilder()
        .setPid(1).setPpid(0).setComm("redis-server").setRole(ProcessRole.SERVER).setServerPid(1).setCgroup(c).build())
        .toList();
    return HostSample.newBuilder().setHost("h").setTimestampMs(ts).setOomKill(vmstatKills).setProcesses(processes).build();
  }

  @Test
  void aRisingCgroupCounterIsAKillInThatCgroup() {
    final List<KernelEvent> events = OomKillInference.between(
        sample(1, 5, cgroup("/redis", 0)), sample(2, 6, cgroup("/redis", 1)), c -> null);
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.getKind()).isEqualTo(KernelEventKind.OOM_KILL_INFERRED);
      assertThat(e.getSource()).isEqualTo(KernelEventSource.CGROUP_COUNTER);
      assertThat(e.getTaskMemcg()).isEqualTo("/redis");
      assertThat(e.getVictimPid()).isNull();
      assertThat(e.getMemcgLimit()).isEqualTo(100L);
    });
  }

  @Test
  void aCgroupEmptiedByTheKillIsReadAgain() {
    final List<KernelEvent> events = OomKillInference.between(
        sample(1, 5, cgroup("/redis", 0)), sample(2, 6), c -> cgroup(c.getPath(), 1));
    assertThat(events).singleElement().extracting(KernelEvent::getTaskMemcg).isEqualTo("/redis");
  }

  @Test
  void aHostKillNoCgroupExplainsIsInferredFromVmstat() {
    final List<KernelEvent> events = OomKillInference.between(
        sample(1, 5, cgroup("/redis", 0)), sample(2, 7, cgroup("/redis", 0)), c -> null);
    assertThat(events).hasSize(2).allMatch(e -> e.getSource() == KernelEventSource.VMSTAT_COUNTER);
  }

  @Test
  void nothingChangedNothingInferred() {
    assertThat(OomKillInference.between(sample(1, 5, cgroup("/r", 2)), sample(2, 5, cgroup("/r", 2)), c -> null)).isEmpty();
    assertThat(OomKillInference.between(null, sample(2, 5), c -> null)).isEmpty();
  }
}
