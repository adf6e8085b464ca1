package dev.oomwatch.collector.identity;

/**
 * Which host process a Redis connection reaches. {@code hostPid} is set only when the evidence
 * leaves exactly one; {@code evidence} says what decided it, or which candidates were left.
 */
public record Identity(Status status, Long hostPid, String evidence) {
  public enum Status { RESOLVED, AMBIGUOUS, NO_MATCH }

  public static Identity resolved(final long pid, final String evidence) {
    return new Identity(Status.RESOLVED, pid, evidence);
  }

  public static Identity ambiguous(final String evidence) {
    return new Identity(Status.AMBIGUOUS, null, evidence);
  }

  public static Identity noMatch(final String evidence) {
    return new Identity(Status.NO_MATCH, null, evidence);
  }
}
