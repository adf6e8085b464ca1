package dev.oomwatch.collector.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.ProcessRole;
import dev.oomwatch.testkit.LocalRedis;
import dev.oomwatch.testkit.RedisLoad;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real redis-server killed in the middle of a BGSAVE: its fork child lives on under init with
 * the server's name. Read from this machine's /proc, it must be a child of no
 * server, not a second server on the instance's port (which it was, before).
 */
class OrphanedForkChildIT {
  @TempDir Path dir;

  @Test
  void aChildOutlivingItsKilledServerIsReportedAsAChildOfNoServer() throws Exception {
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    // 20,000 keys saved at most 1,000 a second: a save of 20 s or more on any machine, and the child
    // is ended by the test long before (the steps below take well under a second here)
    try (LocalRedis redis = LocalRedis.start(dir.resolve("redis"), "--save", "", "--rdb-key-save-delay", "1000");
        RedisLoad load = RedisLoad.connect(redis.uri())) {
      load.fill(20_000, 100);
      final HostSampler sampler = new HostSampler("h", KernelPaths.defaults(), Set.of("redis-server"), false);
      final long serverPid = redis.pid();
      load.bgsave();
      final long childPid = awaitChild(sampler, serverPid);
      // a child found within milliseconds of its fork may not have set its title yet (Redis sets it
      // right after the fork): the orphans this is about have been saving for a while
      awaitTitle(childPid);
      // A Redis 7 child exits within a second of its server's death (its next report to the parent
      // fails) and was once read on its way out: it is held still, stopped, with its memory and title,
      // while the sampler looks. The way out itself is HostSamplerTest's.
      signal("STOP", childPid);
      final HostSample after;
      try {
        redis.kill();
        sampler.rescanSoon();
        after = sampler.sample(System.currentTimeMillis());
      } finally {
        ProcessHandle.of(childPid).ifPresent(ProcessHandle::destroyForcibly);
      }

      assertThat(after.getProcesses()).noneMatch(p -> p.getPid() == serverPid);
      final ProcessMemory orphan = after.getProcesses().stream().filter(p -> p.getPid() == childPid).findFirst()
          .orElseThrow(() -> new AssertionError("the orphaned child " + childPid + " is not in " + after.getProcesses()));
      assertThat(orphan.getRole()).isEqualTo(ProcessRole.FORK_CHILD);
      assertThat(orphan.getServerPid()).isEqualTo(HostSampler.NO_SERVER);
      assertThat(orphan.getPpid()).isNotEqualTo(serverPid);
      assertThat(orphan.getListenPorts()).isEmpty();
      assertThat(after.getProcesses()).noneMatch(p -> p.getRole() == ProcessRole.SERVER
          && p.getListenPorts().contains(redis.port()));
    }
  }

  private static void signal(final String name, final long pid) throws Exception {
    final Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(pid)).inheritIO().start();
    assertThat(kill.waitFor()).as("kill -%s %d", name, pid).isZero();
  }

  private static void awaitTitle(final long pid) throws Exception {
    final Path cmdline = Path.of("/proc", String.valueOf(pid), "cmdline");
    final long deadline = System.currentTimeMillis() + 20_000;
    while (System.currentTimeMillis() < deadline) {
      if (java.nio.file.Files.readString(cmdline).startsWith("redis-rdb-bgsave")) {
        return;
      }
      Thread.sleep(5);
    }
    throw new AssertionError("the fork child " + pid + " has no redis-rdb-bgsave title after 20 s");
  }

  private static long awaitChild(final HostSampler sampler, final long serverPid) throws InterruptedException {
    final long deadline = System.currentTimeMillis() + 20_000;
    while (System.currentTimeMillis() < deadline) {
      sampler.rescanSoon();
      for (final ProcessMemory p : sampler.sample(System.currentTimeMillis()).getProcesses()) {
        if (p.getRole() == ProcessRole.FORK_CHILD && p.getServerPid() == serverPid) {
          return p.getPid();
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no fork child of " + serverPid + " within 20 s");
  }
}
