package dev.oomwatch.join;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.schema.CgroupMemory;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.ProcessRole;
import dev.oomwatch.schema.RedisSample;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A node with three Redis pods, every server pid 1 in its namespace and on port 6379: a sample is
 * joined with the process the collector resolved, and with none when it could not tell.
 */
class SnapshotBuilderTest {
  private static final long MB = 1024L * 1024;

  private static ProcessMemory server(final long pid, final long rssMb, final String cgroup, final long limitMb) {
    return ProcessMemory.newBuilder().setPid(pid).setPpid(pid - 1).setComm("redis-server").setRole(ProcessRole.SERVER)
        .setServerPid(pid).setListenPorts(List.of(6379)).setVmRss(rssMb * MB).setNsPid(1L)
        .setCgroup(CgroupMemory.newBuilder().setPath(cgroup).setVersion(1).setUsage(rssMb * MB).setLimit(limitMb * MB)
            .setEffectiveLimit(limitMb * MB).setLimitPath(cgroup).setAnon(rssMb * MB).build())
        .build();
  }

  private static final KernelView NODE = KernelView.of(HostSample.newBuilder().setHost("node-1").setTimestampMs(1_000)
      .setMemTotal(16_384 * MB)
      .setProcesses(List.of(server(1001, 100, "/kubepods/burstable/podA/a", 300),
          server(1002, 273, "/kubepods/burstable/podB/b", 400), server(1003, 170, "/kubepods/burstable/podC/c", 500)))
      .build());

  private static RedisSample.Builder sample(final String instance) {
    return RedisSample.newBuilder().setHost("node-1").setInstance(instance).setTimestampMs(1_000).setReachable(true)
        .setProcessId(1L).setUsedMemory(200 * MB);
  }

  @Test
  void eachPodIsJudgedAgainstTheProcessTheCollectorResolved() {
    final InstanceSnapshot b = SnapshotBuilder.build(sample("10.0.0.6:6379").setIdentity("RESOLVED")
        .setServerHostPid(1002L).setPodName("cache-b").setPodNamespace("shop").build(), NODE);
    assertThat(b.pid()).isEqualTo(1002L);
    assertThat(b.serverRss()).isEqualTo(273 * MB);
    assertThat(b.limit()).isEqualTo(400 * MB);
    assertThat(b.limitSource()).isEqualTo("cgroup /kubepods/burstable/podB/b");
    assertThat(b.pod()).isEqualTo("shop/cache-b");
    final InstanceSnapshot c = SnapshotBuilder.build(sample("10.0.0.10:6379").setIdentity("RESOLVED")
        .setServerHostPid(1003L).build(), NODE);
    assertThat(c.limit()).isEqualTo(500 * MB);
  }

  @Test
  void whenTheCollectorCouldNotTellNoProcessIsGuessed() {
    for (final String identity : List.of("AMBIGUOUS", "NO_MATCH")) {
      final InstanceSnapshot s = SnapshotBuilder.build(sample("10.0.0.6:6379").setIdentity(identity).build(), NODE);
      assertThat(s.pid()).isNull();
      assertThat(s.serverRss()).isNull();
      assertThat(s.cgroupLimit()).isNull();
      assertThat(s.limitSource()).isEqualTo("host RAM");
    }
  }

  @Test
  void anOlderCollectorsSampleIsStillMatchedByPidThenPort() {
    final KernelView host = KernelView.of(HostSample.newBuilder().setHost("h").setTimestampMs(1_000)
        .setProcesses(List.of(server(4242, 50, "/redis", 256))).build());
    final InstanceSnapshot s = SnapshotBuilder.build(sample("127.0.0.1:6379").setProcessId(4242L).build(), host);
    assertThat(s.serverRss()).isEqualTo(50 * MB);
  }

  @Test
  void aPodLimitAboveTheContainerCountsThePodsOtherUse() {
    final ProcessMemory p = ProcessMemory.newBuilder(server(1002, 273, "/kubepods/burstable/podB/b", 500))
        .setCgroup(CgroupMemory.newBuilder().setPath("/kubepods/burstable/podB/b").setVersion(1).setUsage(280 * MB)
            .setLimit(500 * MB).setAnon(273 * MB).setEffectiveLimit(400 * MB).setLimitPath("/kubepods/burstable/podB")
            .setLimitPathUsage(330 * MB).build())
        .build();
    final KernelView view = KernelView.of(HostSample.newBuilder().setHost("node-1").setTimestampMs(1_000)
        .setProcesses(List.of(p)).build());
    final InstanceSnapshot s = SnapshotBuilder.build(sample("b").setIdentity("RESOLVED").setServerHostPid(1002L).build(), view);
    assertThat(s.limit()).isEqualTo(400 * MB);
    assertThat(s.limitSource()).isEqualTo("cgroup /kubepods/burstable/podB, the pod's");
    // its own 273 MB anonymous plus the 50 MB the pod's other containers use
    assertThat(s.physical()).isEqualTo(323 * MB);
  }
}
