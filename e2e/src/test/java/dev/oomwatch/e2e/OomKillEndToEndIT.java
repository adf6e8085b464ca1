package dev.oomwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oomwatch.collector.Collector;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.testkit.LocalRedis;
import dev.oomwatch.testkit.MemoryCgroup;
import dev.oomwatch.testkit.RedisLoad;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * oomwatch against the real failure: redis-servers in memory cgroups on this machine's kernel,
 * filled and forked under writes until the kernel's OOM killer takes them. Each scenario asserts
 * the alerts, their instance, their order and their timing against the kill as the kernel
 * recorded it, and prints the latencies it measured.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OomKillEndToEndIT {
  private static final long MB = 1024L * 1024;
  private static final long LIMIT = 256 * MB;
  private static final Set<AlertType> FORK_WARNINGS = EnumSet.of(AlertType.FORK_COW_SPIKE, AlertType.FORK_OOM_IMMINENT);
  private static final Set<AlertType> FORK_KILL_RESTART = EnumSet.of(AlertType.FORK_COW_SPIKE,
      AlertType.FORK_OOM_IMMINENT, AlertType.KERNEL_OOM_KILL, AlertType.REDIS_RESTART, AlertType.RESTART_STORM);

  @TempDir static Path dir;
  private static Pipeline pipeline;

  @BeforeAll
  static void start() throws Exception {
    final var reason = MemoryCgroup.unavailableReason();
    assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    pipeline = new Pipeline(dir);
  }

  @AfterAll
  static void stop() {
    if (pipeline != null) {
      pipeline.close();
    }
  }

  /** What {@link #forkUntilKilled} drives: a server in a memory cgroup, by its host pid. */
  interface Victim {
    /** The instance id its samples carry. */
    String instance();

    String cgroupPath();

    boolean serving(long serverPid);

    String uri();

    /** The cgroup's own count of OOM kills: seen at once, where the pipeline's record comes later. */
    long oomKills();
  }

  /** One instance of a scenario: its cgroup, its server (supervised), the collector watching it. */
  private record Instance(String name, MemoryCgroup cgroup, LocalRedis redis, Supervisor supervisor, Collector collector)
      implements AutoCloseable, Victim {
    @Override
    public String instance() {
      return name;
    }

    @Override
    public String cgroupPath() {
      return cgroup.path();
    }

    @Override
    public boolean serving(final long serverPid) {
      return redis.isAlive() && redis.pid() == serverPid;
    }

    @Override
    public String uri() {
      return redis.uri();
    }

    @Override
    public long oomKills() {
      return cgroup.oomKills();
    }

    static Instance start(final String name, final long limit, final String... redisArgs) {
      return start(name, limit, Map.of(), redisArgs);
    }

    /** Watched by a collector with these settings over the pipeline's (e.g. the fork guard on). */
    static Instance start(final String name, final long limit, final Map<String, String> collector,
        final String... redisArgs) {
      final MemoryCgroup cgroup = MemoryCgroup.create(name, limit);
      final LocalRedis redis = LocalRedis.start(dir.resolve(name), cgroup.procs(), redisArgs);
      final Map<String, String> settings = new java.util.HashMap<>(collector);
      settings.put("redis.uris", redis.uri() + "#" + name);
      return new Instance(name, cgroup, redis, new Supervisor(redis), pipeline.collector(settings));
    }

    @Override
    public void close() {
      supervisor.close();
      collector.close();
      redis.close();
      cgroup.close();
    }
  }

  @Test
  @Order(1)
  void aPersistentInstanceFilledCloseToItsLimitGetsCowHeadroomLowBeforeAnyFork() throws Exception {
    try (Instance i = Instance.start("headroom", LIMIT, "--save", "3600 1", "--appendonly", "no");
        RedisLoad load = RedisLoad.connect(i.redis().uri())) {
      load.fillUntil(() -> i.cgroup().anon() > LIMIT * 6 / 10, 1_000, 400_000);
      final List<Alert> alerts = awaitAlerts(i.name(), list -> has(list, AlertType.COW_HEADROOM_LOW), 30);
      assertThat(has(alerts, AlertType.COW_HEADROOM_LOW)).as("COW_HEADROOM_LOW for %s", i.name()).isTrue();
      assertThat(alerts).noneMatch(a -> FORK_KILL_RESTART.contains(a.getType()));
      final Alert headroom = first(alerts, AlertType.COW_HEADROOM_LOW);
      assertThat(Long.parseLong(headroom.getEvidence().get("limitBytes"))).isEqualTo(LIMIT);
      assertThat(headroom.getEvidence().get("limitSource")).contains(i.cgroup().path());
      System.out.printf("[headroom] COW_HEADROOM_LOW fired with cgroup usage %d MB of %d MB, no fork yet%n",
          i.cgroup().usage() / MB, LIMIT / MB);
    }
  }

  @Test
  @Order(2)
  void bgsaveUnderWritesUntilTheKernelKillsTheServerThenItRestarts() throws Exception {
    try (Instance i = Instance.start("bgsave", LIMIT, "--save", "3600 1", "--appendonly", "no")) {
      final long serverPid = i.redis().pid();
      final KernelEvent kill = forkUntilKilled(pipeline, i, LIMIT, serverPid, false);
      final List<Alert> alerts = awaitAlerts(i.name(), list -> has(list, AlertType.REDIS_RESTART), 60);

      assertThat(kill.getVictimPid()).isEqualTo(serverPid);
      assertKilledAfterForkWarnings(i.name(), alerts, kill, "SERVER", serverPid);
      assertAdvisedAgainst(i.name(), assertExplained(i.name(), alerts, serverPid, "BGSAVE", "since the last save is lost"));
      final Alert restart = first(alerts, AlertType.REDIS_RESTART);
      assertThat(restart.getEvidence()).containsEntry("cause", "OOM_KILL");
      assertThat(restart.getEventTimeMs()).isGreaterThan(kill.getTimestampMs());
      assertThat(i.supervisor().restarts()).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  @Order(3)
  void anAofRewriteUnderWritesUntilTheKernelKillsTheServer() throws Exception {
    try (Instance i = Instance.start("aofrw", LIMIT, "--save", "", "--appendonly", "yes",
        "--auto-aof-rewrite-percentage", "0")) {
      final long serverPid = i.redis().pid();
      final KernelEvent kill = forkUntilKilled(pipeline, i, LIMIT, serverPid, true);
      final List<Alert> alerts = awaitAlerts(i.name(), list -> has(list, AlertType.REDIS_RESTART), 60);
      assertThat(kill.getVictimPid()).isEqualTo(serverPid);
      assertKilledAfterForkWarnings(i.name(), alerts, kill, "SERVER", serverPid);
      assertAdvisedAgainst(i.name(), assertExplained(i.name(), alerts, serverPid, "AOF_REWRITE", "since the last save is lost"));
      assertThat(first(alerts, AlertType.REDIS_RESTART).getEvidence()).containsEntry("cause", "OOM_KILL");
    }
  }

  @Test
  @Order(4)
  void withOomScoreAdjTheKernelKillsTheForkChildAndTheServerLives() throws Exception {
    try (Instance i = Instance.start("childkill", LIMIT, "--save", "3600 1", "--appendonly", "no",
        "--oom-score-adj", "yes")) {
      final long serverPid = i.redis().pid();
      final KernelEvent kill = forkUntilKilled(pipeline, i, LIMIT, serverPid, false, false);
      final List<Alert> alerts = awaitAlerts(i.name(), list -> has(list, AlertType.KERNEL_OOM_KILL), 30);
      // a restart, if any, is in the samples the collector took since: all of them processed first
      pipeline.redisSamples.awaitOrFail(list -> list.stream().anyMatch(r -> i.name().equals(r.getInstance())
          && r.getReachable() && r.getTimestampMs() > kill.getTimestampMs() + 2_000), Duration.ofSeconds(60),
          "a sample of the surviving server 2 s after the kill");
      pipeline.awaitProcessed();
      final List<Alert> settled = alertsOf(i.name());

      assertThat(kill.getVictimPid()).isNotEqualTo(serverPid);
      assertThat(i.redis().isAlive()).as("the server survived").isTrue();
      assertThat(i.redis().pid()).isEqualTo(serverPid);
      final Alert killAlert = first(alerts, AlertType.KERNEL_OOM_KILL);
      assertThat(killAlert.getSeverity().name()).isEqualTo("WARNING");
      assertThat(killAlert.getEvidence()).containsEntry("victimRole", "FORK_CHILD")
          .containsEntry("victimPid", String.valueOf(kill.getVictimPid()));
      assertThat(settled).noneMatch(a -> a.getType() == AlertType.REDIS_RESTART);
      printLatencies(i.name(), alerts, kill);
      assertAdvisedAgainst(i.name(), assertExplained(i.name(), alerts, kill.getVictimPid(), "BGSAVE", "-MISCONF"));
      // what the explanation said follows, as a client meets it: the killed save refuses writes
      try (RedisLoad client = RedisLoad.connect(i.redis().uri())) {
        assertThat(client.info("persistence")).contains("rdb_last_bgsave_status:err");
        assertThat(client.write("after-the-kill", "x")).startsWith("MISCONF");
      }
      final List<Alert> persistence = awaitAlerts(i.name(), list -> has(list, AlertType.PERSISTENCE_FAILED), 30);
      final Alert failed = first(persistence, AlertType.PERSISTENCE_FAILED);
      System.out.printf("[%s] PERSISTENCE_FAILED %s %s%n", i.name(), failed.getSeverity(), failed.getSummary());
      assertThat(failed.getSeverity().name()).isEqualTo("CRITICAL");
      assertThat(failed.getEvidence()).containsEntry("writesRefused", "true");
      assertThat(failed.getSummary()).contains("refuses every write with -MISCONF");
    }
  }

  @Test
  @Order(5)
  void killedAgainAndAgainUntilRestartStorm() throws Exception {
    try (Instance i = Instance.start("storm", LIMIT, "--save", "", "--appendonly", "no")) {
      for (int round = 1; round <= 3; round++) {
        final long pid = i.redis().pid();
        forkUntilKilled(pipeline, i, LIMIT, pid, false);
        final long deadline = System.currentTimeMillis() + 30_000;
        while (i.redis().pid() == pid && System.currentTimeMillis() < deadline) {
          Thread.sleep(100);
        }
      }
      final List<Alert> alerts = awaitAlerts(i.name(), list -> has(list, AlertType.RESTART_STORM), 60);
      final Alert storm = first(alerts, AlertType.RESTART_STORM);
      assertThat(storm.getSeverity().name()).isEqualTo("CRITICAL");
      assertThat(Integer.parseInt(storm.getEvidence().get("restarts"))).isGreaterThanOrEqualTo(3);
      // The third kill and the third restart travel on different topics: when the restart's sample is
      // processed first the storm fires counting two kills (the restart's cause is corrected when the
      // kill is read: InstanceTrackerTest), so the evidence says at least two of the three.
      assertThat(Integer.parseInt(storm.getEvidence().get("afterOomKills"))).isGreaterThanOrEqualTo(2);
      System.out.printf("[storm] RESTART_STORM after %d restarts, all after kernel OOM kills%n", i.supervisor().restarts());
    }
  }

  @Test
  @Order(6)
  void aQuietInstanceWithSmallPeriodicSavesRaisesNoForkKillOrRestartAlert() throws Exception {
    try (Instance i = Instance.start("quiet", 1024 * MB, "--save", "3600 1", "--appendonly", "no");
        RedisLoad load = RedisLoad.connect(i.redis().uri())) {
      load.fill(20_000, 1_000);
      load.startOverwriting(20_000, 1_000, 200);
      // a dozen saves, each a fork the detectors judge: a false fork, kill or restart alert shows on the first
      final long end = System.currentTimeMillis() + 50_000;
      int saves = 0;
      while (System.currentTimeMillis() < end) {
        try {
          load.bgsave();
          saves++;
        } catch (RuntimeException e) {
          // a save still running
        }
        Thread.sleep(4_000);
      }
      pipeline.awaitProcessed(); // every sample of the last save judged before "no alert" is said
      final List<Alert> alerts = alertsOf(i.name());
      assertThat(saves).isGreaterThanOrEqualTo(10);
      assertThat(alerts).noneMatch(a -> FORK_KILL_RESTART.contains(a.getType()));
      assertThat(pipeline.kernelEvents.all()).noneMatch(e -> e.value().getTaskMemcg() != null
          && e.value().getTaskMemcg().equals(i.cgroup().path()));
      System.out.printf("[quiet] %d BGSAVEs in 50 s, alerts: %s%n", saves,
          alerts.stream().map(a -> a.getType() + "/" + a.getStatus()).toList());
      // it forked a dozen times and lived: its own advice, from the forks it saw, says it fits
      final com.fasterxml.jackson.databind.JsonNode sizing = sizingOf(i.name());
      System.out.printf("[quiet] ADVICE used %d MB, safe maxmemory %d MB, needed limit %d MB, limit %d MB (%s); lived%n",
          sizing.path("usedMemory").asLong() / MB, sizing.path("safeMaxmemoryBytes").asLong() / MB,
          sizing.path("neededLimitBytes").asLong() / MB, sizing.path("limitBytes").asLong() / MB,
          sizing.path("basis").asText());
      assertThat(sizing.path("copyBasis").asText()).isEqualTo("measured");
      assertThat(sizing.path("forksSeen").asInt()).isPositive();
      assertThat(sizing.path("usedMemory").asLong()).isLessThanOrEqualTo(sizing.path("safeMaxmemoryBytes").asLong());
      assertThat(sizing.path("neededLimitBytes").asLong()).isLessThanOrEqualTo(sizing.path("limitBytes").asLong());
    }
  }

  @Test
  @Order(7)
  void aReplicasFullSyncUnderWritesUntilTheKernelKillsThePrimary() throws Exception {
    // diskless, at once, and a 1 MB backlog: every reconnect of the replica under these writes is a full sync
    try (Instance i = Instance.start("replsync", LIMIT, "--save", "", "--appendonly", "no", "--repl-diskless-sync", "yes",
        "--repl-diskless-sync-delay", "0", "--repl-backlog-size", "1mb");
        RedisLoad load = RedisLoad.connect(i.redis().uri())) {
      final long serverPid = i.redis().pid();
      final int keys = load.fillUntil(() -> load.usedMemory() > LIMIT * 62 / 100, 1_000, 400_000);
      // the sync's child saves at most 50,000 keys a second, as a real data set takes seconds (see forkUntilKilled)
      load.configSet("rdb-key-save-delay", "20");
      awaitFilledBaseline(pipeline, i);
      final long killsBefore = i.oomKills();
      load.startOverwriting(keys, 1_000, 20_000);
      // the replica outside the primary's cgroup, as it would be on another node
      try (LocalRedis replica = LocalRedis.start(dir.resolve("replsync-replica"), "--save", "", "--appendonly", "no",
          "--replicaof", "127.0.0.1", String.valueOf(i.redis().port()))) {
        final long deadline = System.currentTimeMillis() + 120_000;
        while (i.oomKills() == killsBefore && i.serving(serverPid) && System.currentTimeMillis() < deadline) {
          Thread.sleep(300);
          try {
            // a sync that finished: drop the replica, which falls out of the backlog and syncs in full again
            if (load.info("replication").contains("state=online")) {
              load.dropReplicas();
            }
          } catch (RuntimeException e) {
            // the primary just died
          }
        }
      }
      final var events = pipeline.kernelEvents.await(list -> list.stream()
          .anyMatch(e -> i.cgroup().path().equals(e.getTaskMemcg())), Duration.ofSeconds(30));
      final KernelEvent kill = events.stream().map(TopicLog.Arrived::value)
          .filter(e -> i.cgroup().path().equals(e.getTaskMemcg())).findFirst().orElseThrow();
      final boolean server = kill.getVictimPid() == serverPid;
      final List<Alert> alerts = awaitAlerts(i.name(), list -> has(list, AlertType.KERNEL_OOM_KILL), 30);
      printLatencies(i.name(), alerts, kill);
      final Alert killAlert = assertExplained(i.name(), alerts, kill.getVictimPid(), "REPLICA_SYNC",
          server ? "full resync" : "full sync failed");
      assertThat(killAlert.getSummary()).contains("a BGSAVE for a replica's full sync had run");
      assertAdvisedAgainst(i.name(), killAlert);
      // the primary's 1 MB backlog was said before the kill
      final Alert backlog = first(alerts, AlertType.REPL_BACKLOG_SMALL);
      System.out.printf("[%s] REPL_BACKLOG_SMALL %s %s%n", i.name(), backlog.getSeverity(), backlog.getSummary());
      assertThat(backlog.getEvidence()).containsEntry("replBacklogSize", String.valueOf(1024 * 1024));
      assertThat(backlog.getEventTimeMs()).isLessThan(kill.getTimestampMs());
    }
  }

  @Test
  @Order(8)
  void withTheForkGuardOnTheForkIsEndedBeforeTheKernelKillsAndTheServerLives() throws Exception {
    try (Instance i = Instance.start("guarded", LIMIT, Map.of("guard.enabled", "true"), "--save", "3600 1",
        "--appendonly", "no")) {
      final long serverPid = i.redis().pid();
      final long killsBefore = i.oomKills();
      final KernelEvent abort = forkUntilAborted(i, serverPid);
      final dev.oomwatch.schema.ForkAbort a = abort.getForkAbort();
      final List<Alert> alerts = awaitAlerts(i.name(), list -> has(list, AlertType.FORK_ABORTED), 30);
      pipeline.awaitProcessed();
      final List<Alert> settled = alertsOf(i.name());

      assertThat(i.redis().isAlive()).as("the server lives").isTrue();
      assertThat(i.redis().pid()).as("at its pid").isEqualTo(serverPid);
      assertThat(i.oomKills()).as("the kernel killed nothing in its cgroup").isEqualTo(killsBefore);
      assertThat(a.getServerPid()).isEqualTo(serverPid);
      assertThat(a.getChildPid()).isNotEqualTo(serverPid);
      assertThat(a.getExitedAtMs()).as("the child exited").isNotNull();
      try (RedisLoad client = RedisLoad.connect(i.redis().uri())) {
        assertThat(client.write("after-the-abort", "x")).as("writes accepted: an aborted save is no failed save")
            .isEqualTo("OK");
        assertThat(client.info("persistence")).contains("rdb_last_bgsave_status:ok");
      }
      final Alert aborted = first(alerts, AlertType.FORK_ABORTED);
      System.out.printf("[guarded] FORK_ABORTED %s %s%n[guarded] GUARD decided at %d MB of %d MB (projected %d MB at "
          + "%d MB/s), signalled %d ms and the child gone %d ms after the decision%n", aborted.getSeverity(),
          aborted.getSummary(), a.getPhysicalBytes() / MB, a.getLimitBytes() / MB, a.getProjectedBytes() / MB,
          a.getGrowthBytesPerSecond() / MB, a.getSignalledAtMs() - a.getDecidedAtMs(),
          a.getExitedAtMs() - a.getDecidedAtMs());
      assertThat(aborted.getEvidence()).containsEntry("childPid", String.valueOf(a.getChildPid()));
      assertThat(aborted.getSummary()).contains("the server lives");
      assertThat(settled).noneMatch(x -> x.getType() == AlertType.KERNEL_OOM_KILL || x.getType() == AlertType.REDIS_RESTART);
    }
  }

  @Test
  @Order(9)
  void theForkThatComesBackIsAbortedAtMostItsBudgetThenTheGuardStandsDown() throws Exception {
    // save points due every second: an aborted save leaves its status ok, so Redis forks again at once
    try (Instance i = Instance.start("train", LIMIT, Map.of("guard.enabled", "true"), "--save", "",
        "--appendonly", "no");
        RedisLoad load = RedisLoad.connect(i.redis().uri())) {
      final long serverPid = i.redis().pid();
      final java.util.function.Predicate<KernelEvent> aborted = e -> e.getForkAbort() != null
          && i.name().equals(e.getForkAbort().getInstance());
      final int keys = load.fillUntil(() -> load.usedMemory() > LIMIT * 66 / 100, 1_000, 400_000);
      load.configSet("rdb-key-save-delay", "20");
      awaitFilledBaseline(pipeline, i);
      final long forksBefore = load.totalForks();
      final long killsBefore = i.oomKills();
      load.startOverwriting(keys, 1_000, 20_000);
      final long start = System.currentTimeMillis();
      load.configSet("save", "1 1");
      // until the guard has spent its budget and the next fork met the kernel (or completed), at most two minutes
      final long deadline = start + 120_000;
      final long lastSave = load.lastSaveTime();
      long forks = 0;
      long forkUsecMax = 0;
      boolean saved = false;
      while (System.currentTimeMillis() < deadline && i.oomKills() == killsBefore
          && !(killsOf(pipeline, aborted) >= 3 && saved)) {
        try {
          forks = load.totalForks() - forksBefore;
          forkUsecMax = Math.max(forkUsecMax, load.latestForkUsec());
          saved = load.lastSaveTime() != lastSave;
        } catch (RuntimeException e) {
          break; // the server died
        }
        Thread.sleep(200);
      }
      final long elapsed = System.currentTimeMillis() - start;
      try {
        load.stopWriting();
        load.configSet("save", "");
      } catch (RuntimeException e) {
        // the kernel killed the server once the guard stood down
      }
      final List<KernelEvent> aborts = pipeline.kernelEvents.await(list -> list.stream().filter(aborted).count() >= 3,
          Duration.ofSeconds(30)).stream().map(TopicLog.Arrived::value).filter(aborted).toList();
      System.out.printf("[train] %d forks in %.1f s (%.0f a minute), latest_fork_usec at most %d us; the guard ended %d "
          + "and stood down; then %s%n", forks, elapsed / 1000.0, forks * 60_000.0 / elapsed, forkUsecMax, aborts.size(),
          i.oomKills() > killsBefore ? "the kernel killed a process of its cgroup" : "a save completed");
      aborts.forEach(e -> System.out.printf("[train] abort %d: child %d at %d MB of %d MB (projected %d MB), gone %s ms "
          + "after the decision, stands down until %s%n", e.getForkAbort().getAbortsInWindow(),
          e.getForkAbort().getChildPid(), e.getForkAbort().getPhysicalBytes() / MB, e.getForkAbort().getLimitBytes() / MB,
          e.getForkAbort().getProjectedBytes() / MB, e.getForkAbort().getExitedAtMs() == null ? "?"
              : String.valueOf(e.getForkAbort().getExitedAtMs() - e.getForkAbort().getDecidedAtMs()),
          e.getForkAbort().getStandsDownUntilMs()));
      assertThat(aborts).as("no more than its budget within the window").hasSize(3);
      assertThat(aborts).extracting(e -> e.getForkAbort().getAbortsInWindow()).containsExactly(1, 2, 3);
      assertThat(aborts.get(2).getForkAbort().getStandsDownUntilMs()).as("the third says it stands down").isNotNull();
      assertThat(aborts).allSatisfy(e -> assertThat(e.getForkAbort().getServerPid()).isEqualTo(serverPid));
      final List<Alert> alerts = awaitAlerts(i.name(), list -> list.stream().anyMatch(a -> a.getType()
          == AlertType.FORK_ABORTED && a.getSeverity().name().equals("CRITICAL")), 30);
      final Alert critical = alerts.stream().filter(a -> a.getType() == AlertType.FORK_ABORTED
          && a.getSeverity().name().equals("CRITICAL")).reduce((a, b) -> b).orElseThrow();
      System.out.printf("[train] FORK_ABORTED %s %s%n", critical.getSeverity(), critical.getSummary());
      assertThat(critical.getSummary()).contains("Saves keep being aborted").contains("Last good save");
    }
  }

  /**
   * As {@link #forkUntilKilled}, with the guard on: forks under writes until the guard ends one (a
   * FORK_ABORTED event of the instance), the kernel kills something in its cgroup, or two minutes
   * pass; then stops writing. Returns the guard's event.
   */
  private static KernelEvent forkUntilAborted(final Instance i, final long serverPid) throws Exception {
    final java.util.function.Predicate<KernelEvent> aborted = e -> e.getForkAbort() != null
        && i.name().equals(e.getForkAbort().getInstance());
    final long killsBefore = i.oomKills();
    try (RedisLoad load = RedisLoad.connectWhenReady(i.uri(), Duration.ofSeconds(60))) {
      int percent = 62;
      int keys = load.fillUntil(() -> load.usedMemory() > LIMIT * 62 / 100, 1_000, 400_000);
      load.configSet("rdb-key-save-delay", "20");
      awaitFilledBaseline(pipeline, i);
      load.startOverwriting(keys, 1_000, 20_000);
      final long deadline = System.currentTimeMillis() + 120_000;
      long nextRaise = System.currentTimeMillis() + 10_000;
      while (killsOf(pipeline, aborted) == 0 && i.serving(serverPid) && i.oomKills() == killsBefore
          && System.currentTimeMillis() < deadline) {
        if (System.currentTimeMillis() > nextRaise && percent < 88 && notForking(load)) {
          percent += 4;
          final long target = LIMIT * percent / 100;
          keys = Math.max(keys, load.fillUntil(() -> load.usedMemory() > target, 1_000, 400_000));
          nextRaise = System.currentTimeMillis() + 10_000;
        }
        try {
          load.bgsave();
        } catch (RuntimeException e) {
          // a fork still running
        }
        Thread.sleep(300);
      }
      load.stopWriting();
    }
    final var events = pipeline.kernelEvents.await(list -> list.stream().anyMatch(aborted), Duration.ofSeconds(30));
    return events.stream().map(TopicLog.Arrived::value).filter(aborted).findFirst()
        .orElseThrow(() -> new AssertionError("no FORK_ABORTED of " + i.name() + "; kernel kills in its cgroup: "
            + (i.oomKills() - killsBefore)));
  }

  /**
   * Fills the instance to about two thirds of its limit, then forks it (BGSAVE, or AOF rewrite)
   * again and again under writes until the kernel kills a process of its cgroup; returns the kill.
   * With {@code untilTheServerDies} a kill of the fork child (the kernel may pick it: during an AOF
   * rewrite its RSS can match the server's) does not end it: it forks on until the server is killed.
   */
  static KernelEvent forkUntilKilled(final Pipeline pipeline, final Victim i, final long limit, final long serverPid,
      final boolean aof) throws Exception {
    return forkUntilKilled(pipeline, i, limit, serverPid, aof, true);
  }

  static KernelEvent forkUntilKilled(final Pipeline pipeline, final Victim i, final long limit, final long serverPid,
      final boolean aof, final boolean untilTheServerDies) throws Exception {
    final java.util.function.Predicate<KernelEvent> wanted = e -> i.cgroupPath().equals(e.getTaskMemcg())
        && (!untilTheServerDies || e.getVictimPid() != null && e.getVictimPid() == serverPid);
    final String cgroup = i.cgroupPath();
    final int before = (int) pipeline.kernelEvents.all().stream()
        .filter(e -> cgroup.equals(e.value().getTaskMemcg())).count();
    try (RedisLoad load = RedisLoad.connectWhenReady(i.uri(), Duration.ofSeconds(60))) {
      // Filled by Redis's own figure: the cgroup also holds page cache of earlier saves and of the
      // AOF, and for a moment the orphaned fork child of a server killed just before.
      int percent = 62;
      // A restarted server may have loaded an earlier save: overwrite whatever keys it holds.
      int keys = (int) Math.max(load.dbsize(), load.fillUntil(() -> load.usedMemory() > limit * 62 / 100, 1_000, 400_000));
      // A 160 MB data set is saved in well under a second, and writes at full speed copy the
      // headroom in a few hundred milliseconds: on a loaded machine the kill could come before any
      // sample showed the fork. Production data sets take seconds to save and are written at a rate,
      // so the child saves at most 50,000 keys a second (Redis's own test delay, per key) and the
      // writes come at 20,000 a second: still enough to copy the headroom within one save.
      load.configSet("rdb-key-save-delay", "20");
      awaitFilledBaseline(pipeline, i);
      load.startOverwriting(keys, 1_000, 20_000);
      final long deadline = System.currentTimeMillis() + 120_000;
      long nextRaise = System.currentTimeMillis() + 10_000;
      // When any kill ends the scenario, the kernel's own counter stops the writes and forks at once:
      // waiting for the pipeline's record (a second or more) let the next fork and fill push the
      // server itself over its limit after its fork child had been killed.
      final long cgroupKillsBefore = i.oomKills();
      while (i.serving(serverPid) && System.currentTimeMillis() < deadline
          && (untilTheServerDies ? killsOf(pipeline, wanted) == 0
              : i.oomKills() == cgroupKillsBefore && killsIn(pipeline, cgroup) == before)) {
        // The kernel reclaimed enough page cache to let the forks live: less headroom next time. Only
        // between forks: a fill at full speed during one would copy the headroom faster than any
        // sample could show the fork, and the kill would come with no warning to check.
        if (System.currentTimeMillis() > nextRaise && percent < 88 && notForking(load)) {
          percent += 4;
          final long target = limit * percent / 100;
          try {
            keys = Math.max(keys, load.fillUntil(() -> load.usedMemory() > target
                || !untilTheServerDies && i.oomKills() != cgroupKillsBefore, 1_000, 400_000));
          } catch (RuntimeException e) {
            // the kernel killed the server while it was being filled: the kill is awaited below
            break;
          }
          nextRaise = System.currentTimeMillis() + 10_000;
        }
        try {
          if (aof) {
            load.bgrewriteaof();
          } else {
            load.bgsave();
          }
        } catch (RuntimeException e) {
          // a fork still running, or the server just died
        }
        Thread.sleep(300);
      }
    }
    final var events = pipeline.kernelEvents.await(list -> untilTheServerDies
        ? list.stream().anyMatch(wanted)
        : list.stream().filter(e -> cgroup.equals(e.getTaskMemcg())).count() > before, Duration.ofSeconds(30));
    final List<KernelEvent> kills = events.stream().map(TopicLog.Arrived::value)
        .filter(e -> cgroup.equals(e.getTaskMemcg())).toList();
    assertThat(kills).as("a kernel OOM kill in %s", cgroup).hasSizeGreaterThan(before);
    return untilTheServerDies
        ? kills.stream().filter(wanted).findFirst().orElseThrow(() -> new AssertionError("no kill of the server "
            + serverPid + " in " + cgroup + ": " + kills.stream().map(KernelEvent::getVictimPid).toList()))
        : kills.get(before);
  }

  /** False while a fork runs, and when the server is gone (the loop then sees it dead and ends). */
  private static boolean notForking(final RedisLoad load) {
    try {
      return !load.forking();
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Waits until the collector has published the filled instance, idle, on both topics (a Redis and
   * a host sample taken after the fill): the pre-fork baseline the fork detectors compare against.
   */
  private static void awaitFilledBaseline(final Pipeline pipeline, final Victim i) throws InterruptedException {
    final long filledAt = System.currentTimeMillis();
    pipeline.redisSamples.awaitOrFail(list -> list.stream().anyMatch(r -> i.instance().equals(r.getInstance())
        && r.getReachable() && r.getTimestampMs() > filledAt), Duration.ofSeconds(60), "a Redis sample of the filled "
        + i.instance());
    pipeline.hostSamples.awaitOrFail(list -> list.stream().anyMatch(h -> h.getTimestampMs() > filledAt
        && h.getProcesses().stream().anyMatch(p -> p.getCgroup() != null && i.cgroupPath().equals(p.getCgroup().getPath()))),
        Duration.ofSeconds(60), "a host sample of the filled " + i.instance());
  }

  private static int killsOf(final Pipeline pipeline, final java.util.function.Predicate<KernelEvent> wanted) {
    return (int) pipeline.kernelEvents.all().stream().filter(e -> wanted.test(e.value())).count();
  }

  private static int killsIn(final Pipeline pipeline, final String cgroup) {
    return (int) pipeline.kernelEvents.all().stream().filter(e -> cgroup.equals(e.value().getTaskMemcg())).count();
  }

  private static void assertKilledAfterForkWarnings(final String instance, final List<Alert> alerts,
      final KernelEvent kill, final String role, final long pid) {
    final Alert killAlert = killAlertOf(alerts, pid);
    assertThat(killAlert.getInstance()).isEqualTo(instance);
    assertThat(killAlert.getEvidence()).containsEntry("victimRole", role).containsEntry("victimPid", String.valueOf(pid));
    assertThat(killAlert.getEventTimeMs()).isGreaterThanOrEqualTo(kill.getTimestampMs());
    final List<Alert> warnings = alerts.stream()
        .filter(a -> FORK_WARNINGS.contains(a.getType()) && a.getStatus() == AlertStatus.FIRING).toList();
    assertThat(warnings).as("FORK_COW_SPIKE or FORK_OOM_IMMINENT before the kill%n%s",
        WhatItSaw.before(pipeline, instance, kill.getTaskMemcg(), kill, 10_000)).isNotEmpty();
    assertThat(warnings.get(0).getEventTimeMs()).as("first fork warning before the kill").isLessThan(kill.getTimestampMs());
    assertThat(alerts.indexOf(warnings.get(0))).isLessThan(alerts.indexOf(killAlert));
    printLatencies(instance, alerts, kill);
  }

  /**
   * The kill explained in Redis's terms: the fork Redis said was running at the last look, the bytes
   * the kernel counted by part (adding up to its count), what follows; printed as it reads.
   */
  private static Alert assertExplained(final String instance, final List<Alert> alerts, final long victimPid,
      final String forkKind, final String next) {
    final Alert killAlert = killAlertOf(alerts, victimPid);
    final java.util.Map<String, String> e = killAlert.getEvidence();
    System.out.printf("[%s] EXPLAINED %s%n[%s] EVIDENCE %s%n", instance, killAlert.getSummary(), instance,
        new java.util.TreeMap<>(e));
    assertThat(e.get("forkKind")).as("the fork at the last look").isIn(forkKind, "FORK");
    final long counted = Long.parseLong(e.get("memCountedBytes"));
    assertThat(counted).isPositive();
    final long parts = e.entrySet().stream().filter(x -> x.getKey().startsWith("mem") && x.getKey().endsWith("Bytes")
        && !x.getKey().equals("memCountedBytes")).mapToLong(x -> Long.parseLong(x.getValue())).sum();
    assertThat(parts).as("the parts add up to what the kernel counted").isEqualTo(counted);
    assertThat(Long.parseLong(e.get("memDatasetBytes"))).as("the dataset").isPositive();
    assertThat(Long.parseLong(e.get("lastLookAtMs"))).as("a look before the kill (a second either way: two clocks)")
        .isLessThanOrEqualTo(Long.parseLong(e.get("killedAtMs")) + 1_000);
    assertThat(killAlert.getSummary()).contains("Why: ").contains("the kernel counted were dataset");
    assertThat(e.get("next")).contains(next);
    return killAlert;
  }

  /**
   * The instance's own sizing advice as it stood before the kill (from the forks it had survived):
   * the kernel's kill agrees with it, its data above the maxmemory advised and its limit under the
   * limit needed. Printed beside what happened.
   */
  private static void assertAdvisedAgainst(final String instance, final Alert killAlert) {
    final java.util.Map<String, String> e = killAlert.getEvidence();
    final long used = Long.parseLong(e.get("advisedUsedMemory"));
    final long safe = Long.parseLong(e.get("advisedSafeMaxmemoryBytes"));
    final long needed = Long.parseLong(e.get("advisedNeededLimitBytes"));
    System.out.printf("[%s] ADVICE before the kill: used %d MB, safe maxmemory %d MB, needed limit %d MB, limit %d MB "
        + "(%s); killed%n", instance, used / MB, safe / MB, needed / MB, LIMIT / MB, e.get("advisedBasis"));
    assertThat(used).as("killed above its advised maxmemory: %s", e).isGreaterThan(safe);
    assertThat(needed).as("killed under its needed limit: %s", e).isGreaterThan(LIMIT);
  }

  /** {@code GET /api/sizing}'s advice for one instance of this pipeline's streams-app. */
  private static com.fasterxml.jackson.databind.JsonNode sizingOf(final String instance) throws Exception {
    final String url = pipeline.streams.http().orElseThrow().url() + "api/sizing";
    final java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).GET().build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("GET %s: %s", url, r.body()).isEqualTo(200);
    for (final com.fasterxml.jackson.databind.JsonNode n : new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body())) {
      if (instance.equals(n.path("instance").asText())) {
        return n.path("sizing");
      }
    }
    throw new AssertionError("no sizing for " + instance + " in " + r.body());
  }

  /** The KERNEL_OOM_KILL event naming this victim (a child killed before the server has its own). */
  private static Alert killAlertOf(final List<Alert> alerts, final long victimPid) {
    return alerts.stream().filter(a -> a.getType() == AlertType.KERNEL_OOM_KILL && a.getStatus() == AlertStatus.FIRING
        && String.valueOf(victimPid).equals(a.getEvidence().get("victimPid"))).findFirst()
        .orElseGet(() -> first(alerts, AlertType.KERNEL_OOM_KILL));
  }

  private static void printLatencies(final String instance, final List<Alert> alerts, final KernelEvent kill) {
    final Alert killAlert = killAlertOf(alerts, kill.getVictimPid());
    final long arrived = pipeline.alerts.all().stream().filter(a -> a.value() == killAlert)
        .mapToLong(TopicLog.Arrived::arrivedAtMs).findFirst().orElse(-1);
    final Long lead = alerts.stream().filter(a -> FORK_WARNINGS.contains(a.getType())).findFirst()
        .map(a -> kill.getTimestampMs() - a.getEventTimeMs()).orElse(null);
    System.out.printf("[%s] LATENCY kill->KERNEL_OOM_KILL on the alerts topic: %d ms; LEAD first fork warning->kill: %s ms%n",
        instance, arrived - kill.getTimestampMs(), lead == null ? "none" : lead);
    System.out.print(WhatItSaw.before(pipeline, instance, kill.getTaskMemcg(), kill, 5_000));
  }

  private static List<Alert> awaitAlerts(final String instance, final java.util.function.Predicate<List<Alert>> done,
      final int seconds) throws InterruptedException {
    pipeline.alerts.await(list -> done.test(list.stream().filter(a -> instance.equals(a.getInstance())).toList()),
        Duration.ofSeconds(seconds));
    return alertsOf(instance);
  }

  private static List<Alert> alertsOf(final String instance) {
    return pipeline.alerts.all().stream().map(TopicLog.Arrived::value)
        .filter(a -> instance.equals(a.getInstance())).toList();
  }

  private static boolean has(final List<Alert> alerts, final AlertType type) {
    return alerts.stream().anyMatch(a -> a.getType() == type && a.getStatus() == AlertStatus.FIRING);
  }

  private static Alert first(final List<Alert> alerts, final AlertType type) {
    return alerts.stream().filter(a -> a.getType() == type && a.getStatus() == AlertStatus.FIRING).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " in " + alerts.stream()
            .map(a -> a.getType() + "/" + a.getStatus()).toList()));
  }
}
