package dev.oomwatch.testkit;

import java.time.Duration;

/**
 * The real failure, driven: a redis-server in a memory cgroup filled to three quarters of the
 * limit, then BGSAVE under writes again and again until the kernel's OOM killer takes it (each fork
 * copies pages the cgroup cannot hold). Where the kernel reclaims enough page cache to let the forks
 * live, it fills further every 5 s (up to 88% of the limit by used_memory). Returns when the server
 * is dead or the time is up.
 *
 * <p>How long a fill, a save or a kill takes is the machine's: on a fast one the whole scenario is
 * over within a second of the start. A test that must see a moment of it (the server filled, its
 * fork child) passes a {@link Watcher}, and the scenario waits for it at that moment instead.
 */
public final class ForkUntilKilled {
  /**
   * Per key, the fork child's save waits this long (Redis's own test setting): a save of the ~70,000
   * keys that fill a 96 MiB cgroup lasts seconds on any machine, so the child is still there for a
   * watcher to see and for the writes to copy its pages, however fast the disk.
   */
  private static final String SLOW_SAVE_MICROS_PER_KEY = "100";

  /** What a test waits for at the scenario's two moments; each returns once it has seen it. */
  public interface Watcher {
    /** The server is filled and nothing forks yet: returns once the watcher has seen it so. */
    void filled() throws Exception;

    /**
     * The first fork child is running and no write has copied a page yet: returns once seen. The
     * writes that copy pages until the kill begin when it returns; the first fork's save lasts
     * seconds, so they usually fall in it, else in the next.
     */
    void forked() throws Exception;
  }

  private ForkUntilKilled() {}

  public static void run(final LocalRedis redis, final MemoryCgroup cgroup, final Duration atMost) throws InterruptedException {
    try {
      run(redis, cgroup, atMost, null);
    } catch (InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e); // only a watcher throws others
    }
  }

  /** As {@link #run(LocalRedis, MemoryCgroup, Duration)}, waiting for {@code watcher} (null: none) at each moment. */
  public static void run(final LocalRedis redis, final MemoryCgroup cgroup, final Duration atMost, final Watcher watcher)
      throws Exception {
    final long limit = cgroup.limit();
    try (RedisLoad load = RedisLoad.connect(redis.uri())) {
      int keys = load.fillUntil(() -> cgroup.usage() > limit * 3 / 4, 1_000, 200_000);
      if (watcher != null) {
        watcher.filled();
        load.configSet("rdb-key-save-delay", SLOW_SAVE_MICROS_PER_KEY);
        load.bgsave();
        watcher.forked();
      }
      // the time the forks get, however long the watcher took to look
      final long deadline = System.currentTimeMillis() + atMost.toMillis();
      load.startOverwriting(keys, 1_000);
      int percent = 72;
      long nextRaise = System.currentTimeMillis() + 5_000;
      while (redis.isAlive() && System.currentTimeMillis() < deadline) {
        // fills further only between forks: a fill at full speed during one copies the headroom
        // faster than any look at the fork (the kill then comes with nothing seen of it)
        if (System.currentTimeMillis() > nextRaise && percent < 88) {
          try {
            if (!load.forking()) {
              percent += 4;
              final long target = limit * percent / 100;
              keys = Math.max(keys, load.fillUntil(() -> load.usedMemory() > target, 1_000, 400_000));
              nextRaise = System.currentTimeMillis() + 5_000;
            }
          } catch (RuntimeException e) {
            break; // killed while being filled
          }
        }
        try {
          load.bgsave();
        } catch (RuntimeException e) {
          // "Background save already in progress", or the server is gone
        }
        Thread.sleep(300);
      }
    }
  }
}
