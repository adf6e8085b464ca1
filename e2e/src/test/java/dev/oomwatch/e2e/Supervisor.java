package dev.oomwatch.e2e;

import dev.oomwatch.testkit.LocalRedis;
import java.util.ArrayList;
import java.util.List;

/**
 * Restarts a redis-server one second after it dies, as systemd's Restart=always or a Kubernetes
 * kubelet would, and remembers each pid it ran.
 */
final class Supervisor implements AutoCloseable {
  private final LocalRedis redis;
  private final List<Long> pids = new ArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;

  Supervisor(final LocalRedis redis) {
    this.redis = redis;
    synchronized (pids) {
      pids.add(redis.pid());
    }
    this.thread = new Thread(this::watch, "supervisor");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  private void watch() {
    while (running) {
      if (!redis.isAlive()) {
        sleep(1_000);
        if (!running) {
          return;
        }
        redis.start();
        synchronized (pids) {
          pids.add(redis.pid());
        }
      }
      sleep(100);
    }
  }

  List<Long> pids() {
    synchronized (pids) {
      return List.copyOf(pids);
    }
  }

  int restarts() {
    return pids().size() - 1;
  }

  private static void sleep(final long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
  }
}
