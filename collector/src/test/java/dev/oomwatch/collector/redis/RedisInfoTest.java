package dev.oomwatch.collector.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.collector.Fixtures;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisInfoTest {

  @Test
  void readsTheFieldsOfARealRedis70() {
    final RedisInfo info = RedisInfo.parse(Fixtures.text("redis/7.0-debian/info-during-bgsave.txt"));
    assertThat(info.text("redis_version")).isEqualTo("7.0.15");
    assertThat(info.flag("rdb_bgsave_in_progress")).isTrue();
    assertThat(info.number("used_memory")).isPositive();
    assertThat(info.ratio("mem_fragmentation_ratio")).isPositive();
    assertThat(info.number("current_cow_peak")).isZero();
    assertThat(info.totalKeys()).isEqualTo(1L);
  }

  @Test
  void errorstatsCountTheOomRefusals() {
    final RedisInfo info = RedisInfo.parse(Fixtures.text("redis/7.0-debian/info-oom-errors.txt"));
    assertThat(info.errorstats()).containsEntry("OOM", 3L).containsEntry("ERR", 2L);
  }

  @Test
  void redis50HasNoErrorstatsAndSaysSoWithNull() {
    final RedisInfo info = RedisInfo.parse(Fixtures.text("redis/5.0-documented/info.txt"));
    assertThat(info.errorstats()).isNull();
    assertThat(info.number("current_cow_size")).isNull();
    assertThat(info.totalKeys()).isEqualTo(10_450_135L);
  }

  @Test
  void aRedis72WithAnEmptyErrorstatsSectionHasZeroErrorsNotNull() {
    final RedisInfo info = RedisInfo.parse(Fixtures.text("redis/7.2-documented/info.txt"));
    assertThat(info.errorstats()).isEqualTo(Map.of());
  }

  @Test
  void valueWithColonsKeepsEverythingAfterTheFirst() {
    final RedisInfo info = RedisInfo.parse("# Replication\r\nslave0:ip=10.0.0.12,port=6379,state=online\r\nexecutable:/a:b\r\n");
    assertThat(info.text("executable")).isEqualTo("/a:b");
    assertThat(info.text("slave0")).startsWith("ip=10.0.0.12");
  }

  @Test
  void garbageParsesToNothingAndNeverThrows() {
    final RedisInfo info = RedisInfo.parse("\u0000\u0001garbage\n:novalue\nused_memory:abc\n# Memory\n");
    assertThat(info.number("used_memory")).isNull();
    assertThat(info.text("novalue")).isNull();
    assertThat(RedisInfo.parse(null).fields()).isEmpty();
  }
}
