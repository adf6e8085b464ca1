package dev.oomwatch.history;

import dev.oomwatch.schema.KernelEvent;

/**
 * A kernel OOM kill as the history keeps it: who was killed (the instance, or null when no
 * instance of the host matched), in which role, and the kernel's own figures at that moment.
 */
public record KillView(
    String host,
    String instance,
    long timestampMs,
    String role,
    Long victimPid,
    String victimComm,
    String constraint,
    String taskMemcg,
    Long anonRss,
    Long memcgUsage,
    Long memcgLimit,
    Integer oomScoreAdj) {

  public static KillView of(final KernelEvent e, final String instance, final String role) {
    return new KillView(e.getHost(), instance, e.getTimestampMs(), role, e.getVictimPid(), e.getVictimComm(),
        e.getConstraint(), e.getTaskMemcg(), e.getAnonRss(), e.getMemcgUsage(), e.getMemcgLimit(),
        e.getOomScoreAdj());
  }
}
