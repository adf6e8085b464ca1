package dev.oomwatch.collector.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.collector.Fixtures;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.KernelEventKind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OomKillAssemblerTest {

  static List<KernelEvent> replay(final String fixture) {
    final OomKillAssembler assembler = new OomKillAssembler("h");
    final List<KernelEvent> events = new ArrayList<>();
    for (final String line : Fixtures.text(fixture).split("\n")) {
      final KmsgRecord record = KmsgRecord.parse(line);
      if (record != null) {
        assembler.accept(record, record.monotonicUs() / 1000).forEach(a -> events.add(a.event()));
      }
    }
    assembler.flush().ifPresent(a -> events.add(a.event()));
    return events;
  }

  @Test
  void aRealMemcgKillOnKernel618NamesTheServerItsCgroupAndTheForkChildThatInvokedIt() {
    final List<KernelEvent> events = replay("kmsg/6.18-captured/memcg-kill-server.txt");
    assertThat(events).hasSize(1);
    final KernelEvent kill = events.get(0);
    assertThat(kill.getKind()).isEqualTo(KernelEventKind.OOM_KILL);
    assertThat(kill.getVictimPid()).isEqualTo(11367L);
    assertThat(kill.getVictimComm()).isEqualTo("redis-server");
    assertThat(kill.getConstraint()).isEqualTo("CONSTRAINT_MEMCG");
    assertThat(kill.getOomMemcg()).isEqualTo("/oomcap");
    assertThat(kill.getTaskMemcg()).isEqualTo("/oomcap");
    assertThat(kill.getAnonRss()).isEqualTo(95_360L * 1024);
    assertThat(kill.getFileRss()).isEqualTo(9_184L * 1024);
    assertThat(kill.getShmemRss()).isZero();
    assertThat(kill.getOomScoreAdj()).isZero();
    assertThat(kill.getVictimUid()).isZero();
    assertThat(kill.getInvokingComm()).isEqualTo("redis-server");
    assertThat(kill.getInvokingPid()).isEqualTo(11386L);
    assertThat(kill.getMemcgUsage()).isEqualTo(98_304L * 1024);
    assertThat(kill.getMemcgLimit()).isEqualTo(98_304L * 1024);
    // the kill's wall time is the Killed-process record's stamp, not the first line's
    assertThat(kill.getTimestampMs()).isEqualTo(1_098_615_860L / 1000);
    assertThat(kill.getRawLines()).anyMatch(l -> l.startsWith("oom-kill:")).hasSizeLessThanOrEqualTo(16);
  }

  @Test
  void kernel415OldFormWithSacrificeChildAndInterleavedContinuationLines() {
    final List<KernelEvent> events = replay("kmsg/4.15-documented/memcg-kill-old-form.txt");
    assertThat(events).hasSize(1);
    final KernelEvent kill = events.get(0);
    assertThat(kill.getVictimPid()).isEqualTo(2188L);
    assertThat(kill.getTaskMemcg()).isEqualTo("/docker/4f1c2b");
    assertThat(kill.getOomMemcg()).isEqualTo("/docker/4f1c2b");
    assertThat(kill.getConstraint()).isEqualTo("CONSTRAINT_MEMCG");
    assertThat(kill.getAnonRss()).isEqualTo(518_000L * 1024);
    assertThat(kill.getMemcgLimit()).isEqualTo(524_288L * 1024);
    assertThat(kill.getInvokingPid()).isEqualTo(2211L);
    assertThat(kill.getOomScoreAdj()).isNull();
  }

  @Test
  void kernel510GlobalKillOfAForkChildThenAnAllocatingTaskKill() {
    final List<KernelEvent> events = replay("kmsg/5.10-documented/global-kill-child.txt");
    assertThat(events).hasSize(2);
    final KernelEvent child = events.get(0);
    assertThat(child.getVictimPid()).isEqualTo(4301L);
    assertThat(child.getConstraint()).isEqualTo("CONSTRAINT_NONE");
    assertThat(child.getTaskMemcg()).isEqualTo("/system.slice/redis-server.service");
    assertThat(child.getOomMemcg()).isNull();
    assertThat(child.getOomScoreAdj()).isEqualTo(200);
    assertThat(child.getVictimUid()).isEqualTo(108L);
    final KernelEvent java = events.get(1);
    assertThat(java.getVictimComm()).isEqualTo("java");
    assertThat(java.getInvokingPid()).isEqualTo(777L);
    assertThat(java.getMemcgLimit()).isNull();
  }

  @Test
  void recordsOutsideTheFormatAreIgnored() {
    assertThat(KmsgRecord.parse(" SUBSYSTEM=pci")).isNull();
    assertThat(KmsgRecord.parse("no semicolon here")).isNull();
    assertThat(KmsgRecord.parse("x,y,z,-;message")).isNull();
    assertThat(KmsgRecord.parse("6,1,2,-;hello\n SUBSYSTEM=x\n").message()).isEqualTo("hello");
    assertThat(KmsgRecord.parse("30,5,77,c,more;text").priority()).isEqualTo(6);
  }

  @Test
  void aGroupKillOnACgroupV2KubernetesNodeIsOneEventHoldingEveryVictim() {
    final List<KernelEvent> events = replay("kmsg/6.1-documented/group-kill-fork-child.txt");
    assertThat(events).hasSize(1);
    final KernelEvent kill = events.get(0);
    final String container = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7c1d6a2e_5b1f_4d2a_9d0e_"
        + "1a2b3c4d5e6f.slice/cri-containerd-4b8a0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b.scope";
    assertThat(kill.getVictimPid()).as("the kernel's choice: the fork child").isEqualTo(3112L);
    assertThat(kill.getOomScoreAdj()).isEqualTo(200);
    assertThat(kill.getTaskMemcg()).isEqualTo(container);
    assertThat(kill.getOomMemcg()).isEqualTo(container);
    assertThat(kill.getMemcgLimit()).isEqualTo(512L * 1024 * 1024);
    assertThat(kill.getGroupKill()).isTrue();
    assertThat(kill.getGroupMemcg()).isEqualTo(container);
    assertThat(kill.getGroupVictims()).extracting(t -> t.getPid()).containsExactly(3090L, 3140L);
    assertThat(kill.getGroupVictims().get(0).getComm()).isEqualTo("redis-server");
    assertThat(kill.getGroupVictims().get(0).getAnonRss()).isEqualTo(391_168L * 1024);
    assertThat(kill.getGroupVictims().get(0).getUid()).isEqualTo(999L);
    // the kill's time stays the victim's line's
    assertThat(kill.getTimestampMs()).isEqualTo(7_200_000_500L / 1000);
    assertThat(kill.getRawLines()).anyMatch(l -> l.startsWith("Tasks in ")).anyMatch(l -> l.contains("Killed process 3140"));
  }

  @Test
  void aKillWithoutAGroupIsEndedByTheNextKillsFirstLine() {
    final OomKillAssembler assembler = new OomKillAssembler("h");
    final List<KernelEvent> events = new ArrayList<>();
    for (final String line : Fixtures.text("kmsg/6.1-documented/global-kill-v2.txt").split("\n")) {
      assembler.accept(KmsgRecord.parse(line), 0).forEach(a -> events.add(a.event()));
    }
    assertThat(events).as("out before any flush").hasSize(1);
    assertThat(events.get(0).getVictimPid()).isEqualTo(4400L);
    assertThat(events.get(0).getGroupKill()).isFalse();
    assertThat(events.get(0).getGroupVictims()).isEmpty();
    assertThat(events.get(0).getConstraint()).isEqualTo("CONSTRAINT_NONE");
    assertThat(assembler.flush()).as("the next kill has no victim yet").isEmpty();
  }

  private static List<KernelEvent> lines(final String... records) {
    final OomKillAssembler assembler = new OomKillAssembler("h");
    final List<KernelEvent> events = new ArrayList<>();
    for (final String r : records) {
      assembler.accept(KmsgRecord.parse(r), 0).forEach(a -> events.add(a.event()));
    }
    assembler.flush().ifPresent(a -> events.add(a.event()));
    return events;
  }

  @Test
  void aKillLongAfterAGroupKillIsItsOwnNotAMemberOfTheGroup() {
    // an OOM storm: the second kill's report is rate-limited away, only its Killed line is printed, 300 ms later
    final List<KernelEvent> events = lines(
        "3,10,1000000,-;Memory cgroup out of memory: Killed process 11 (redis-server) total-vm:1kB, anon-rss:100kB, "
            + "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:200",
        "6,11,1000100,-;Tasks in /kubepods.slice/a.scope are going to be killed due to memory.oom.group set",
        "3,12,1000200,-;Memory cgroup out of memory: Killed process 10 (redis-server) total-vm:1kB, anon-rss:900kB, "
            + "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0",
        "3,13,1300000,-;Memory cgroup out of memory: Killed process 20 (redis-server) total-vm:1kB, anon-rss:500kB, "
            + "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0");
    assertThat(events).hasSize(2);
    assertThat(events.get(0).getGroupVictims()).extracting(t -> t.getPid()).containsExactly(10L);
    assertThat(events.get(1).getVictimPid()).isEqualTo(20L);
    assertThat(events.get(1).getGroupKill()).isFalse();
  }

  @Test
  void aGroupKillWhoseChosenVictimWasAlreadyExitingIsStillOneGroupEvent() {
    final List<KernelEvent> events = lines(
        "4,30,2000000,-;redis-server invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=200",
        "6,31,2000100,-;memory: usage 524288kB, limit 524288kB, failcnt 9",
        "6,32,2000200,-;Memory cgroup out of memory: OOM victim 41 (redis-server) is already exiting. Skip killing the task",
        "6,33,2000300,-;Tasks in /kubepods.slice/b.scope are going to be killed due to memory.oom.group set",
        "3,34,2000400,-;Memory cgroup out of memory: Killed process 40 (redis-server) total-vm:1kB, anon-rss:900kB, "
            + "file-rss:0kB, shmem-rss:0kB, UID:999 pgtables:1kB oom_score_adj:0");
    assertThat(events).singleElement().satisfies(kill -> {
      assertThat(kill.getGroupKill()).isTrue();
      assertThat(kill.getGroupMemcg()).isEqualTo("/kubepods.slice/b.scope");
      assertThat(kill.getVictimPid()).as("no Killed line of its own").isNull();
      // the exiting victim dies with the group: it is one of its tasks (it was lost before)
      assertThat(kill.getGroupVictims()).extracting(t -> t.getPid()).containsExactly(41L, 40L);
      assertThat(kill.getMemcgLimit()).isEqualTo(512L * 1024 * 1024);
      assertThat(kill.getKmsgSequence()).isEqualTo(33L);
    });
  }

  @Test
  void aWatcherClosedWhileAKillIsHeldPublishesIt() {
    final List<KernelEvent> sink = new ArrayList<>();
    final KernelLogWatcher watcher = new KernelLogWatcher(java.nio.file.Path.of("/nonexistent/kmsg"), "h", true,
        sink::add, new dev.oomwatch.collector.CollectorMetrics());
    watcher.handle("3,50," + KernelLogWatcher.monotonicUs() + ",-;Memory cgroup out of memory: Killed process 7 "
        + "(redis-server) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0");
    assertThat(sink).as("held for a group kill's lines").isEmpty();
    watcher.close();
    assertThat(sink).extracting(KernelEvent::getVictimPid).containsExactly(7L);
  }
}
