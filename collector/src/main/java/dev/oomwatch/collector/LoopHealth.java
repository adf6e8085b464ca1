package dev.oomwatch.collector;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Whether each of the collector's loops still runs: each beats when it runs, and a loop is stale
 * when it has not for ten of its periods (at least 30 s). A loop ended by an {@link Error} stops
 * beating, so a supervisor asking {@code /healthz} restarts a collector that is alive and useless.
 */
public final class LoopHealth {
  private record Loop(long periodMs, long lastBeatMs) {}

  private final LongSupplier clock;
  private final Map<String, Loop> loops = new LinkedHashMap<>();
  private final Map<String, java.util.function.BooleanSupplier> threads = new LinkedHashMap<>();

  public LoopHealth(final LongSupplier clock) {
    this.clock = clock;
  }

  /** A loop that runs every {@code periodMs}; counted as run now. */
  public synchronized void register(final String name, final long periodMs) {
    loops.put(name, new Loop(periodMs, clock.getAsLong()));
  }

  /**
   * A loop that blocks waiting for input (the kernel log) rather than running on a period: healthy
   * while {@code alive} says its thread runs.
   */
  public synchronized void watch(final String name, final java.util.function.BooleanSupplier alive) {
    threads.put(name, alive);
  }

  public synchronized void beat(final String name) {
    final Loop loop = loops.get(name);
    if (loop != null) {
      loops.put(name, new Loop(loop.periodMs(), clock.getAsLong()));
    }
  }

  /** Each loop's name and whether it ran recently enough. */
  public synchronized Map<String, Boolean> state() {
    final long now = clock.getAsLong();
    final Map<String, Boolean> out = new LinkedHashMap<>();
    loops.forEach((name, loop) -> out.put(name, now - loop.lastBeatMs() <= Math.max(30_000, 10 * loop.periodMs())));
    threads.forEach((name, alive) -> out.put(name, alive.getAsBoolean()));
    return out;
  }

  public boolean healthy() {
    return !state().containsValue(false);
  }

  /** Runs {@code body} as one turn of the loop: a beat, and an {@link Error} said before it ends the loop. */
  public Runnable guarded(final String name, final Runnable body) {
    return () -> {
      try {
        body.run();
        beat(name);
      } catch (Error e) {
        org.slf4j.LoggerFactory.getLogger(LoopHealth.class).error(
            "the {} loop ended with {}; /healthz now says so, for the process to be restarted", name, e.toString());
        throw e;
      }
    };
  }
}
