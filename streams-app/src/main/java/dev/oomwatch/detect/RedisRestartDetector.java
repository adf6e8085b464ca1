package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Optional;

/** REDIS_RESTART: a new run_id or an uptime that went back; the cause is an OOM kill or unknown. */
public final class RedisRestartDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.REDIS_RESTART;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    final RestartRecord restart = state.lastRestart();
    if (restart == null || now.timestampMs() - restart.timestampMs() > config.eventHold().toMillis()) {
      return Optional.empty();
    }
    final boolean oom = "OOM_KILL".equals(restart.cause());
    return Optional.of(new Finding(type(), oom ? Severity.CRITICAL : Severity.WARNING,
        now.instance() + " restarted" + (oom ? " after the kernel OOM-killed it" : " (cause unknown: no kernel kill was seen)")
            + "; its cache is cold and clients may stampede.",
        Evidence.with().put("cause", restart.cause()).put("previousRunId", restart.previousRunId())
            .put("runId", restart.runId()).put("uptimeSeconds", restart.uptimeSeconds())
            .put("restartedAtMs", restart.timestampMs()).map(),
        oom ? "dmesg | grep -i 'killed process' around the restart; the KERNEL_OOM_KILL alert has the numbers"
            : "The Redis log and the supervisor's (systemd, Kubernetes) for why it stopped",
        oom ? "Fix the memory sizing that led to the kill (see KERNEL_OOM_KILL)."
            : "Find the stop's cause in the logs; if it was the kernel, make its log readable to oomwatch."));
  }
}
