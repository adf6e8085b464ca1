package dev.oomwatch.query;

/** The answer cannot be whole right now (stores restoring, a rebalance, an owner unreachable): 503. */
public final class NotReady extends RuntimeException {
  public NotReady(final String why) {
    super(why, null, false, false);
  }
}
