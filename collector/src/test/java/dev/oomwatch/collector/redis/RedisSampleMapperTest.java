package dev.oomwatch.collector.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.collector.Fixtures;
import dev.oomwatch.schema.RedisSample;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RedisSampleMapperTest {

  private static RedisSample map(final String fixture) {
    return RedisSampleMapper.map("h", "h:6379", 1L,
        new RedisSampleMapper.Reading(RedisInfo.parse(Fixtures.text(fixture)), null, null, null, List.of(), 3), 5);
  }

  @ParameterizedTest
  @ValueSource(strings = {"redis/5.0-documented/info.txt", "redis/6.2-documented/info.txt",
      "redis/7.0-debian/info-idle.txt", "redis/7.2-documented/info.txt", "redis/valkey-8-documented/info.txt"})
  void everyVersionGivesTheCoreMemoryFigures(final String fixture) {
    final RedisSample s = map(fixture);
    assertThat(s.getReachable()).isTrue();
    assertThat(s.getUsedMemory()).isPositive();
    assertThat(s.getUsedMemoryRss()).isPositive();
    assertThat(s.getProcessId()).isPositive();
    assertThat(s.getRunId()).hasSize(40);
    assertThat(s.getMemFragmentationRatio()).isPositive();
  }

  @Test
  void redis50LeavesWhatItDoesNotReportNull() {
    final RedisSample s = map("redis/5.0-documented/info.txt");
    assertThat(s.getUsedMemory()).isEqualTo(2_952_790_016L);
    assertThat(s.getUsedMemoryRss()).isEqualTo(4_423_816_192L);
    assertThat(s.getRdbLastCowSize()).isEqualTo(1_610_612_736L);
    assertThat(s.getLatestForkUsec()).isEqualTo(612_000L);
    assertThat(s.getCurrentCowPeak()).isNull();
    assertThat(s.getCurrentForkPerc()).isNull();
    assertThat(s.getErrorstats()).isNull();
    assertThat(s.getTotalForks()).isNull();
    assertThat(s.getMemTotalReplicationBuffers()).isNull();
  }

  @Test
  void redis62DuringABgsaveCarriesTheForkProgress() {
    final RedisSample s = map("redis/6.2-documented/info.txt");
    assertThat(s.getRdbBgsaveInProgress()).isTrue();
    assertThat(s.getCurrentForkPerc()).isEqualTo(37.5);
    assertThat(s.getCurrentSaveKeysProcessed()).isEqualTo(375_000L);
    assertThat(s.getCurrentSaveKeysTotal()).isEqualTo(1_000_000L);
    assertThat(s.getCurrentCowSize()).isEqualTo(104_857_600L);
    assertThat(s.getErrorstats()).containsEntry("OOM", 15L);
    assertThat(s.getAofEnabled()).isTrue();
    assertThat(s.getMaxmemory()).isZero();
    assertThat(s.getReplBacklogSize()).isEqualTo(104_857_600L);
    assertThat(s.getReplicaStates()).as("slave0's state").containsExactly("online");
  }

  @Test
  void valkeySaysItsOwnVersion() {
    final RedisSample s = map("redis/valkey-8-documented/info.txt");
    assertThat(s.getValkeyVersion()).isEqualTo("8.0.1");
    assertThat(s.getRedisVersion()).isEqualTo("7.2.4");
    assertThat(s.getAofRewriteInProgress()).isTrue();
    assertThat(s.getCurrentCowPeak()).isEqualTo(41_943_040L);
    assertThat(s.getRole()).isEqualTo("slave");
  }

  @Test
  void clientsAndConfigAreCarriedWhenRead() {
    final var clients = ClientList.parse(Fixtures.text("redis/7.0-debian/client-list.txt"), 2);
    final var config = RedisConfigMapper.map(Map.of("maxmemory", "0", "save", "", "appendonly", "no",
        "client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        "activedefrag", "no", "oom-score-adj", "no"), 5L);
    final RedisSample s = RedisSampleMapper.map("h", "h:6379", 1L, new RedisSampleMapper.Reading(
        RedisInfo.parse(Fixtures.text("redis/7.0-debian/info-idle.txt")), clients, 1L, config, List.of(), 2), 2);
    assertThat(s.getTopClients()).hasSize(2);
    assertThat(s.getTopClients().get(0).getName()).isEqualTo("slow-subscriber");
    assertThat(s.getMonitorClients()).isEqualTo(1L);
    assertThat(s.getClientListReadAtMs()).isEqualTo(1L);
    assertThat(s.getConfig().getSave()).isEmpty();
    assertThat(s.getConfig().getAppendonly()).isFalse();
    assertThat(s.getConfig().getOomScoreAdjValues()).isNull();
  }

  @Test
  void anUnreachableSampleSaysWhyAndNothingElse() {
    final RedisSample s = RedisSampleMapper.unreachable("h", "h:6379", 7L, "REFUSED: Connection refused");
    assertThat(s.getReachable()).isFalse();
    assertThat(s.getUnreachableReason()).startsWith("REFUSED");
    assertThat(s.getUsedMemory()).isNull();
  }
}
