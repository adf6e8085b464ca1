package dev.oomwatch.collector.guard;

import dev.oomwatch.config.Settings;
import java.time.Duration;

/**
 * The fork guard's settings ({@code guard.*}), typed, with where each default comes from.
 *
 * @param marginShare the share of the limit kept free: a fork projected past {@code limit x (1 -
 *     share)} is ended
 * @param ahead how far ahead the fork's growth is projected
 * @param maxAborts forks of one instance it ends within {@code window}; then it stands down for
 *     that instance until the window frees one
 */
public record GuardConfig(boolean enabled, double marginShare, Duration ahead, int maxAborts, Duration window) {
  public static final String ENABLED = "guard.enabled";
  public static final String MARGIN = "guard.margin";
  public static final String AHEAD = "guard.margin.ahead";
  public static final String MAX_ABORTS = "guard.max.aborts";
  public static final String WINDOW = "guard.window";

  public static GuardConfig from(final Settings s) {
    final GuardConfig c = new GuardConfig(
        // off unless asked: it signals processes it does not own
        s.getBoolean(ENABLED, false),
        // 5 %: the page cache a cgroup gives back before the OOM killer runs is gone by then, and the
        // growth between two looks at the fork rate (200 ms) is a few per cent of a limit (BENCHMARKS.md)
        s.getDouble(MARGIN, 0.05),
        // 1 s: five looks at the fork rate, and the signal and the child's exit take under 10 ms of it
        s.getDuration(AHEAD, Duration.ofSeconds(1)),
        // 3 in 30 minutes: an aborted save is forked again at Redis's next cron tick; beyond three the
        // instance is missized, not unlucky, and a train of forks is worse than the kill it avoids
        s.getInt(MAX_ABORTS, 3),
        s.getDuration(WINDOW, Duration.ofMinutes(30)));
    if (c.marginShare < 0 || c.marginShare >= 1) {
      throw new IllegalArgumentException(MARGIN + " must be a share of the limit in [0, 1): " + c.marginShare);
    }
    if (c.maxAborts < 1) {
      throw new IllegalArgumentException(MAX_ABORTS + " must be at least 1: " + c.maxAborts);
    }
    return c;
  }
}
