package dev.oomwatch.collector.redis;

/**
 * How long a sampler waits before connecting again, by why the last attempt failed. A refused
 * connection is answered by the target's kernel in microseconds and costs Redis nothing, so it is
 * retried at the sampling rate: a restarted server (the one most likely to be killed again) is
 * sampled within an interval of listening, however long it was away. A timeout or an unknown host
 * costs a timeout each try, so those back off, to 5 s; a refused password is not hammered (Redis
 * logs each one), to 30 s. Pure.
 */
public final class ReconnectBackoff {
  static final long SLOW_CAP_MS = 5_000;
  static final long AUTH_CAP_MS = 30_000;

  private ReconnectBackoff() {}

  /** The next wait in ms after a failure of {@code kind}, given the last wait (0 after a success). */
  public static long next(final String kind, final long lastMs, final long intervalMs) {
    return switch (kind) {
      case "REFUSED", "DISCONNECTED" -> intervalMs;
      case "AUTH_FAILED", "FORBIDDEN" -> grow(lastMs, intervalMs, AUTH_CAP_MS);
      default -> grow(lastMs, intervalMs, SLOW_CAP_MS);
    };
  }

  private static long grow(final long lastMs, final long intervalMs, final long capMs) {
    return lastMs <= 0 ? intervalMs : Math.min(Math.max(lastMs * 2, intervalMs), Math.max(capMs, intervalMs));
  }
}
