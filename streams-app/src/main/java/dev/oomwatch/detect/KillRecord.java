package dev.oomwatch.detect;

/** A kernel OOM kill attributed to an instance. {@code role}: SERVER, FORK_CHILD or UNKNOWN. */
public record KillRecord(
    long timestampMs, Long pid, String role, Long anonRss, Long limit, String cgroup, boolean inferred) {}
