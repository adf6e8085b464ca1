package dev.oomwatch.detect;

/**
 * A kernel OOM kill attributed to an instance. {@code role}: SERVER, FORK_CHILD or UNKNOWN;
 * {@code scope}: whose memory ran out ({@link KillScope}), {@code oomCgroup} the cgroup whose limit was hit.
 */
public record KillRecord(
    long timestampMs, Long pid, String role, Long anonRss, Long limit, String cgroup, boolean inferred,
    String scope, String oomCgroup) {}
