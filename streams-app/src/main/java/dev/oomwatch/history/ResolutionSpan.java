package dev.oomwatch.history;

/** A stretch of a timeline and the resolution it is served at: "full", or the bucket width such as "10s". */
public record ResolutionSpan(long fromMs, long toMs, String resolution) {
  public static final String FULL = "full";
}
