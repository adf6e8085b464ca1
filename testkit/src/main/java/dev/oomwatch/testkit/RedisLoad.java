package dev.oomwatch.testkit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives a real Redis the way the failure needs: fill it, then overwrite keys fast (every write
 * during a fork dirties a page the child shares, which the kernel must copy), then fork.
 */
public final class RedisLoad implements AutoCloseable {
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final AtomicBoolean writing = new AtomicBoolean();
  private final AtomicLong writes = new AtomicLong();
  private Thread writer;

  private RedisLoad(final RedisClient client, final StatefulRedisConnection<String, String> connection) {
    this.client = client;
    this.connection = connection;
  }

  public static RedisLoad connect(final String uri) {
    final RedisURI redisUri = RedisURI.create(uri);
    redisUri.setTimeout(Duration.ofSeconds(30));
    final RedisClient client = RedisClient.create(redisUri);
    // a killed server fails the load's commands at once: queued for a reconnect that may never come
    // (a pod nobody restarts), each would wait out its 30 s timeout
    client.setOptions(io.lettuce.core.ClientOptions.builder()
        .disconnectedBehavior(io.lettuce.core.ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
    return new RedisLoad(client, client.connect());
  }

  /**
   * Connects once the server answers and has loaded its data set, retrying until {@code wait} has
   * passed: a server restarted after a kill may still be loading a save (Redis answers LOADING), or
   * be between a death and its supervisor's restart.
   */
  public static RedisLoad connectWhenReady(final String uri, final Duration wait) throws InterruptedException {
    final long deadline = System.currentTimeMillis() + wait.toMillis();
    while (true) {
      RedisLoad load = null;
      try {
        load = connect(uri);
        if (!load.loading()) {
          return load;
        }
      } catch (RuntimeException e) {
        if (System.currentTimeMillis() > deadline) {
          throw e;
        }
      }
      if (load != null) {
        load.close();
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException(uri + " still loading its data set after " + wait);
      }
      Thread.sleep(200);
    }
  }

  private boolean loading() {
    return connection.sync().info("persistence").contains("loading:1");
  }

  /** Writes keys {@code key:0} to {@code key:<keys-1>} of {@code valueBytes} each, pipelined. */
  public void fill(final int keys, final int valueBytes) {
    fill(0, keys, valueBytes);
  }

  /**
   * Adds keys in chunks until {@code done} says the server is full enough (e.g. its cgroup's usage
   * reached a share of the limit); returns the number of keys written.
   */
  public int fillUntil(final java.util.function.BooleanSupplier done, final int valueBytes, final int maxKeys) {
    int keys = 0;
    while (!done.getAsBoolean() && keys < maxKeys) {
      fill(keys, keys + 2_000, valueBytes);
      keys += 2_000;
    }
    return keys;
  }

  private void fill(final int from, final int to, final int valueBytes) {
    final RedisAsyncCommands<String, String> async = connection.async();
    final Semaphore inFlight = new Semaphore(500);
    final String value = "v".repeat(valueBytes);
    for (int i = from; i < to; i++) {
      inFlight.acquireUninterruptibly();
      async.set("key:" + i, value).whenComplete((r, e) -> inFlight.release());
    }
    inFlight.acquireUninterruptibly(500);
  }

  /** Overwrites random keys in a background thread, as fast as it can, until closed or the server goes away. */
  public void startOverwriting(final int keys, final int valueBytes) {
    startOverwriting(keys, valueBytes, Integer.MAX_VALUE);
  }

  /** Overwrites random keys at about {@code perSecond} writes a second (in batches every 100 ms). */
  public void startOverwriting(final int keys, final int valueBytes, final int perSecond) {
    if (keys < 1) {
      throw new IllegalArgumentException("nothing to overwrite: " + keys + " keys");
    }
    writing.set(true);
    final int batch = (int) Math.max(1, Math.min(2_000, perSecond / 10L));
    final long pauseMs = perSecond == Integer.MAX_VALUE ? 0 : 100;
    writer = new Thread(() -> {
      final Random random = new Random(2);
      while (writing.get() && connection.isOpen()) {
        try {
          final long started = System.currentTimeMillis();
          overwrite(keys, valueBytes, batch, random);
          final long left = pauseMs - (System.currentTimeMillis() - started);
          if (left > 0) {
            Thread.sleep(left);
          }
        } catch (RuntimeException e) {
          return; // the server was killed: that is the point
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "redis-load");
    writer.setDaemon(true);
    writer.start();
  }

  private void overwrite(final int keys, final int valueBytes, final int count, final Random random) {
    final RedisAsyncCommands<String, String> async = connection.async();
    final Semaphore inFlight = new Semaphore(500);
    final char[] chars = new char[valueBytes];
    for (int i = 0; i < count; i++) {
      java.util.Arrays.fill(chars, (char) ('a' + random.nextInt(26)));
      inFlight.acquireUninterruptibly();
      async.set("key:" + random.nextInt(keys), new String(chars)).whenComplete((r, e) -> inFlight.release());
      writes.incrementAndGet();
    }
    inFlight.acquireUninterruptibly(500);
  }

  /** Redis's own used_memory, from INFO memory. */
  public long usedMemory() {
    for (final String line : connection.sync().info("memory").split("\r?\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()).trim());
      }
    }
    throw new IllegalStateException("INFO memory without used_memory");
  }

  /** A number field of an INFO section ({@code total_forks} of stats, {@code rdb_last_save_time} of persistence). */
  public long infoNumber(final String section, final String field) {
    for (final String line : connection.sync().info(section).split("\r?\n")) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).trim());
      }
    }
    throw new IllegalStateException("INFO " + section + " without " + field);
  }

  public long totalForks() {
    return infoNumber("stats", "total_forks");
  }

  public long latestForkUsec() {
    return infoNumber("stats", "latest_fork_usec");
  }

  /** When the last save that completed ended, epoch seconds. */
  public long lastSaveTime() {
    return infoNumber("persistence", "rdb_last_save_time");
  }

  /** Whether a BGSAVE or an AOF rewrite is running now (INFO persistence). */
  public boolean forking() {
    final String persistence = connection.sync().info("persistence");
    return persistence.contains("rdb_bgsave_in_progress:1") || persistence.contains("aof_rewrite_in_progress:1");
  }

  /** Number of keys in the current database. */
  public long dbsize() {
    return connection.sync().dbsize();
  }

  /** CONFIG SET, for settings a test changes on a running (or restarted) server. */
  public void configSet(final String name, final String value) {
    connection.sync().configSet(name, value);
  }

  public void bgsave() {
    connection.sync().bgsave();
  }

  /** One write as a client makes it: "OK", or the error Redis answered it with (e.g. "MISCONF ..."). */
  public String write(final String key, final String value) {
    try {
      return connection.sync().set(key, value);
    } catch (io.lettuce.core.RedisCommandExecutionException e) {
      return e.getMessage();
    }
  }

  public String info(final String section) {
    return connection.sync().info(section);
  }

  /** Drops every replica's connection (CLIENT KILL TYPE replica): each asks to sync again. */
  public long dropReplicas() {
    return connection.sync().clientKill(io.lettuce.core.KillArgs.Builder.typeSlave());
  }

  public void bgrewriteaof() {
    connection.sync().bgrewriteaof();
  }

  public long writes() {
    return writes.get();
  }

  public void stopWriting() {
    writing.set(false);
  }

  @Override
  public void close() {
    writing.set(false);
    connection.closeAsync();
    client.shutdownAsync();
  }
}
