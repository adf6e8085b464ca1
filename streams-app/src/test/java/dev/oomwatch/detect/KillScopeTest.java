package dev.oomwatch.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.KernelEventKind;
import org.junit.jupiter.api.Test;

/** Whose memory ran out, from the kill record's oom_memcg, task_memcg and constraint. */
class KillScopeTest {
  private static final String POD = "/kubepods/burstable/pod0a1b2c3d-4e5f-6789-abcd-ef0123456789";
  private static final String CONTAINER = POD + "/" + "c".repeat(64);

  private static KernelEvent kill(final String constraint, final String oom, final String task) {
    return KernelEvent.newBuilder().setHost("h").setTimestampMs(1).setKind(KernelEventKind.OOM_KILL)
        .setSource(dev.oomwatch.schema.KernelEventSource.KMSG)
        .setConstraint(constraint).setOomMemcg(oom).setTaskMemcg(task).build();
  }

  @Test
  void theContainersOwnLimit() {
    assertThat(KillScope.of(kill("CONSTRAINT_MEMCG", CONTAINER, CONTAINER))).isEqualTo(KillScope.CONTAINER);
  }

  @Test
  void thePodsLimitCgroupfsAndSystemd() {
    assertThat(KillScope.of(kill("CONSTRAINT_MEMCG", POD, CONTAINER))).isEqualTo(KillScope.POD);
    final String slice = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0a1b2c3d_4e5f.slice";
    assertThat(KillScope.of(kill("CONSTRAINT_MEMCG", slice, slice + "/cri-containerd-" + "a".repeat(64) + ".scope")))
        .isEqualTo(KillScope.POD);
  }

  @Test
  void aSliceAboveIt() {
    assertThat(KillScope.of(kill("CONSTRAINT_MEMCG", "/system.slice", "/system.slice/redis.service")))
        .isEqualTo(KillScope.PARENT);
  }

  @Test
  void theWholeHost() {
    assertThat(KillScope.of(kill("CONSTRAINT_NONE", "/", CONTAINER))).isEqualTo(KillScope.HOST);
    assertThat(KillScope.of(kill(null, "/", "/user.slice"))).isEqualTo(KillScope.HOST);
  }

  @Test
  void aRecordThatDoesNotSay() {
    assertThat(KillScope.of(kill(null, null, null))).isNull();
  }
}
