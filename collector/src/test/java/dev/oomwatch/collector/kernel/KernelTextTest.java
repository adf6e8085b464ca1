package dev.oomwatch.collector.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.collector.Fixtures;
import dev.oomwatch.schema.CgroupMemory;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KernelTextTest {

  @Test
  void meminfoAndVmstatFromThisMachine() {
    final Map<String, Long> meminfo = KeyValueText.numbers(Fixtures.text("proc/6.18-captured/meminfo"));
    assertThat(meminfo.get("MemTotal")).isGreaterThan(1L << 30).isEqualTo(meminfo.get("MemTotal") / 1024 * 1024);
    assertThat(meminfo).containsKeys("MemAvailable", "Committed_AS", "CommitLimit", "SwapTotal", "SwapFree");
    assertThat(KeyValueText.numbers(Fixtures.text("proc/6.18-captured/vmstat")).get("oom_kill")).isEqualTo(1L);
  }

  @Test
  void statusAndSmapsRollupOfARealRedisServer() {
    final String status = Fixtures.text("proc/6.18-captured/status-server.txt");
    final Map<String, Long> numbers = KeyValueText.numbers(status);
    assertThat(KeyValueText.text(status, "Name")).isEqualTo("redis-server");
    assertThat(numbers.get("VmRSS")).isGreaterThan(70_000_000L);
    assertThat(numbers.get("RssAnon") + numbers.get("RssFile") + numbers.get("RssShmem")).isEqualTo(numbers.get("VmRSS"));
    final Map<String, Long> rollup = KeyValueText.numbers(Fixtures.text("proc/6.18-captured/smaps_rollup-server.txt"));
    assertThat(rollup.get("Private_Dirty")).isPositive();
    assertThat(rollup.get("Pss")).isPositive();
  }

  @Test
  void keyValueLinesThatDoNotParseAreSkippedNotGuessed() {
    final Map<String, Long> n = KeyValueText.numbers(
        "VmRSS:\t  1234 kB\r\nnr_free 12\nneg -3\nrun 12abc\nbig 99999999999999999999\nName:\tredis\n:5\n"
            + "Kb 7 kBx\nlast 55");
    assertThat(n).containsEntry("VmRSS", 1234L * 1024).containsEntry("nr_free", 12L).containsEntry("neg", -3L)
        .containsEntry("Kb", 7L)
        .doesNotContainKeys("run", "big", "Name", "last");
    assertThat(n).hasSize(4);
  }

  @Test
  void thpPsiAndTheCgroupLineOfAHybridHost() {
    assertThat(KeyValueText.selected(Fixtures.text("proc/6.18-captured/thp-enabled"))).isEqualTo("madvise");
    assertThat(KeyValueText.selected(Fixtures.text("proc/6.18-captured/thp-defrag"))).isEqualTo("madvise");
    assertThat(KeyValueText.psiAvg10(Fixtures.text("proc/6.18-captured/pressure-memory"), "some")).isEqualTo(0.07);
    assertThat(KeyValueText.psiAvg10("", "some")).isNull();
    assertThat(CgroupRef.parse(Fixtures.text("proc/6.18-captured/cgroup-v1-hybrid")).version()).isEqualTo(1);
    assertThat(CgroupRef.parse("4:memory:/oomcap\n0::/\n")).isEqualTo(new CgroupRef(1, "/oomcap"));
    assertThat(CgroupRef.parse("11:cpuacct,memory:/docker/abc\n")).isEqualTo(new CgroupRef(1, "/docker/abc"));
    assertThat(CgroupRef.parse(Fixtures.text("cgroup/v2-documented/proc-pid-cgroup")))
        .isEqualTo(new CgroupRef(2, "/system.slice/redis.service"));
  }

  @Test
  void cgroupV1AfterARealKillAndAnUnlimitedLimitIsNull() {
    final CgroupMemory memory = CgroupMemoryParser.parse(new CgroupRef(1, "/oomcap"), file -> switch (file) {
      case "memory.usage_in_bytes" -> "1234\n";
      case "memory.limit_in_bytes" -> "9223372036854771712\n";
      case "memory.oom_control" -> Fixtures.text("cgroup/v1-captured/memory.oom_control");
      case "memory.stat" -> Fixtures.text("cgroup/v1-captured/memory.stat");
      default -> null;
    });
    assertThat(memory.getLimit()).isNull();
    assertThat(memory.getUsage()).isEqualTo(1234L);
    assertThat(memory.getOomKill()).isEqualTo(1L);
    assertThat(memory.getAnon()).isNotNull();
    assertThat(memory.getPeak()).isNull();
  }

  @Test
  void cgroupV2FromTheDocumentedFormat() {
    final CgroupMemory limited = CgroupMemoryParser.parse(new CgroupRef(2, "/system.slice/redis.service"),
        file -> Fixtures.textOrNull("cgroup/v2-documented/redis.service/" + file));
    assertThat(limited.getVersion()).isEqualTo(2);
    assertThat(limited.getUsage()).isEqualTo(1_073_741_824L);
    assertThat(limited.getLimit()).isEqualTo(1_610_612_736L);
    assertThat(limited.getPeak()).isEqualTo(1_400_000_000L);
    assertThat(limited.getOomEvents()).isEqualTo(3L);
    assertThat(limited.getOomKill()).isEqualTo(2L);
    assertThat(limited.getOomGroupKill()).isZero();
    assertThat(limited.getAnon()).isEqualTo(1_000_000_000L);
    final CgroupMemory unlimited = CgroupMemoryParser.parse(new CgroupRef(2, "/u"),
        file -> Fixtures.textOrNull("cgroup/v2-documented/unlimited/" + file));
    assertThat(unlimited.getLimit()).isNull();
    assertThat(unlimited.getOomKill()).isNull();
    assertThat(limited.getOomGroup()).as("no memory.oom.group file").isNull();
    final CgroupMemory kubelet = CgroupMemoryParser.parse(new CgroupRef(2, "/kubepods.slice/x.scope"),
        file -> Fixtures.textOrNull("cgroup/v2-documented/kubelet-container/" + file));
    assertThat(kubelet.getOomGroup()).as("the kubelet's memory.oom.group").isTrue();
    assertThat(kubelet.getOomGroupKill()).isEqualTo(1L);
    assertThat(kubelet.getOomKill()).isEqualTo(3L);
  }

  @Test
  void portsComeFromTheServersTitleOrItsFlag() {
    assertThat(ProcessScanner.ports("redis-server *:6401\0\0\0")).containsExactly(6401);
    assertThat(ProcessScanner.ports("redis-server 127.0.0.1:6379")).containsExactly(6379);
    assertThat(ProcessScanner.ports("redis-server\0--port\0007000\0".replace('\0', ' '))).containsExactly(7000);
    assertThat(ProcessScanner.ports("valkey-server [::1]:6390")).containsExactly(6390);
    assertThat(ProcessScanner.ppidFromStat("123 (redis (odd) name) S 77 123 123 0")).isEqualTo(77L);
    assertThat(ProcessScanner.ppidFromStat("garbage")).isNull();
  }
}
