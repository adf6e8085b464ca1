package dev.oomwatch.detect;

/** An instance restart, seen as a new run_id or an uptime that went back. {@code cause}: OOM_KILL or UNKNOWN. */
public record RestartRecord(long timestampMs, String cause, String previousRunId, String runId, Long uptimeSeconds) {}
