package dev.oomwatch.metrics;

/** Label values as Prometheus takes them: never null (an absent value is the empty string, no label). */
public final class Labels {
  private Labels() {}

  public static String of(final String value) {
    return value == null ? "" : value;
  }

  /** Per-process paths folded into one series: /proc/1234/status becomes /proc/PID/status. */
  public static String file(final String path) {
    return path == null ? "" : path.replaceAll("/proc/\\d+/", "/proc/PID/");
  }
}
