package dev.oomwatch.detect;

/**
 * A kernel OOM kill attributed to an instance. {@code role}: SERVER, FORK_CHILD or UNKNOWN, what
 * this instance lost; {@code scope}: whose memory ran out ({@link KillScope}), {@code oomCgroup} the
 * cgroup whose limit was hit. A group kill ({@code memory.oom.group}) killed every task of
 * {@code groupCgroup}: {@code pid} and {@code role} are then the server's when it was among them,
 * {@code chosenPid} and {@code chosenRole} the task the kernel picked first (often the fork child),
 * {@code groupPids} every other task killed, {@code sparedPids} those it skipped (oom_score_adj -1000).
 * {@code explanation}: the kill in Redis's terms, from the last look before it (null without one).
 */
public record KillRecord(
    long timestampMs, Long pid, String role, Long anonRss, Long limit, String cgroup, boolean inferred,
    String scope, String oomCgroup, boolean groupKill, String groupCgroup, Long chosenPid, String chosenRole,
    java.util.List<Long> groupPids, java.util.List<Long> sparedPids, KillExplanation explanation) {

  public KillRecord {
    groupPids = groupPids == null ? java.util.List.of() : java.util.List.copyOf(groupPids);
    sparedPids = sparedPids == null ? java.util.List.of() : java.util.List.copyOf(sparedPids);
  }

  /**
   * The same kill read twice (a collector that restarted reads the last minutes of the kernel log
   * back): same victim, stamped within a second (the kernel's stamp converted on two clocks).
   */
  public boolean sameKill(final dev.oomwatch.schema.KernelEvent event) {
    final Long first = groupKill ? chosenPid : pid;
    return first != null && first.equals(event.getVictimPid()) && Math.abs(timestampMs - event.getTimestampMs()) < 1_000;
  }
}
