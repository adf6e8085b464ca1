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
        // 5 %: measured (OomKillEndToEndIT, 20,000 writes/s on 160 MB) a fork grows 70-120 MB/s, 14-25 MB
        // between two looks at the fork rate (200 ms): 5-10 % of a 256 MB limit per look
        s.getDouble(MARGIN, 0.05),
        // 1 s: five looks ahead at that rate; the decision to the child's exit took 29-75 ms of it
        s.getDuration(AHEAD, Duration.ofSeconds(1)),
        // 3 in 30 minutes: an aborted save is forked again at Redis's next cron tick (measured with save
        // points due: 107 forks a minute, each blocking the server latest_fork_usec, 11-18 ms); beyond
        // three the instance is missized, not unlucky, and the train would never end on its own
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
