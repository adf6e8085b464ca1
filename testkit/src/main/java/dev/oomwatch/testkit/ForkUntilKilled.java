package dev.oomwatch.testkit;

import java.time.Duration;

/**
 * The real failure, driven: a redis-server in a memory cgroup filled to three quarters of the
 * limit, then BGSAVE under writes again and again until the kernel's OOM killer takes it (each fork
 * copies pages the cgroup cannot hold). Where the kernel reclaims enough page cache to let the forks
 * live, it fills further every 5 s (up to 88% of the limit by used_memory). Returns when the server
 * is dead or the time is up.
 */
public final class ForkUntilKilled {
  private ForkUntilKilled() {}

  public static void run(final LocalRedis redis, final MemoryCgroup cgroup, final Duration atMost) throws InterruptedException {
    final long limit = cgroup.limit();
    try (RedisLoad load = RedisLoad.connect(redis.uri())) {
      int keys = load.fillUntil(() -> cgroup.usage() > limit * 3 / 4, 1_000, 200_000);
      load.startOverwriting(keys, 1_000);
      final long deadline = System.currentTimeMillis() + atMost.toMillis();
      int percent = 72;
      long nextRaise = System.currentTimeMillis() + 5_000;
      while (redis.isAlive() && System.currentTimeMillis() < deadline) {
        try {
          load.bgsave();
        } catch (RuntimeException e) {
          // "Background save already in progress", or the server is gone
        }
        Thread.sleep(300);
        if (System.currentTimeMillis() > nextRaise && percent < 88) {
          percent += 4;
          final long target = limit * percent / 100;
          try {
            keys = Math.max(keys, load.fillUntil(() -> load.usedMemory() > target, 1_000, 400_000));
          } catch (RuntimeException e) {
            break; // killed while being filled
          }
          nextRaise = System.currentTimeMillis() + 5_000;
        }
      }
    }
  }
}
