package dev.oomwatch.detect;

/**
 * A kernel OOM kill attributed to an instance. {@code role}: SERVER, FORK_CHILD or UNKNOWN;
 * {@code scope}: whose memory ran out ({@link KillScope}), {@code oomCgroup} the cgroup whose limit was hit.
 */
public record KillRecord(
    long timestampMs, Long pid, String role, Long anonRss, Long limit, String cgroup, boolean inferred,
    String scope, String oomCgroup) {

  /**
   * The same kill read twice (a collector that restarted reads the last minutes of the kernel log
   * back): same victim, stamped within a second (the kernel's stamp converted on two clocks).
   */
  public boolean sameKill(final dev.oomwatch.schema.KernelEvent event) {
    return pid != null && pid.equals(event.getVictimPid()) && Math.abs(timestampMs - event.getTimestampMs()) < 1_000;
  }
}
