package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Optional;

/** RESTART_STORM: 3 or more restarts within 10 minutes (both configurable). */
public final class RestartStormDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.RESTART_STORM;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    final long window = config.restartStormWindow().toMillis();
    final long recent = state.restarts.stream().filter(r -> now.timestampMs() - r.timestampMs() <= window).count();
    if (recent < config.restartStormCount()) {
      return Optional.empty();
    }
    final long byKill = state.restarts.stream()
        .filter(r -> now.timestampMs() - r.timestampMs() <= window && "OOM_KILL".equals(r.cause())).count();
    return Optional.of(new Finding(type(), Severity.CRITICAL,
        now.instance() + " restarted " + recent + " times in " + config.restartStormWindow().toMinutes()
            + " minutes" + (byKill > 0 ? ", " + byKill + " of them after kernel OOM kills" : "")
            + ": it is dying again as soon as it is back.",
        Evidence.with().put("restarts", recent).put("afterOomKills", byKill).put("windowMs", window).map(),
        "The kill and restart alerts of this instance; does memory refill to the limit after each restart (replica resync, AOF load)?",
        "Stop the loop first (raise the limit or lower maxmemory), then size for RSS plus copy-on-write."));
  }
}
