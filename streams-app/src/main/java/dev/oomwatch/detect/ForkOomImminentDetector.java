package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Optional;

/**
 * FORK_OOM_IMMINENT, during a fork: the physical peak projected for the end of the fork reaches
 * the limit. The projection scales the rise so far by the fork's progress (current_fork_perc, or
 * keys processed against the key count), else by elapsed time against the last fork's duration;
 * usage already at 90% of the limit mid-fork is imminent whatever the projection.
 */
public final class ForkOomImminentDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.FORK_OOM_IMMINENT;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    final Long physical = now.physical();
    final Long limit = now.limit();
    if (!now.forking() || state.forkBaseline == null || physical == null || limit == null || state.forkStartMs == null) {
      return Optional.empty();
    }
    final long baseline = state.forkBaseline;
    final long rise = Math.max(0, physical - baseline);
    final long elapsedMs = Math.max(1, now.timestampMs() - state.forkStartMs);
    Double progress = now.progress();
    String progressSource = "redis";
    if (progress == null && state.lastForkDurationMs != null && state.lastForkDurationMs > 0) {
      progress = Math.min(1.0, (double) elapsedMs / state.lastForkDurationMs);
      progressSource = "elapsed vs last fork";
    }
    final long projectedPeak = progress != null && progress > 0.02
        ? baseline + Math.round(rise / progress) : physical;
    final boolean overNow = physical >= config.forkImminentUsage() * limit;
    if (projectedPeak < limit && !overNow) {
      return Optional.empty();
    }
    final double ratePerMs = (double) rise / elapsedMs;
    final Double secondsLeft = ratePerMs > 0 ? Math.max(0, (limit - physical) / ratePerMs / 1000.0) : null;
    return Optional.of(new Finding(type(), Severity.CRITICAL,
        capitalized(ForkTerms.fork(now)) + " of " + now.instance() + " is heading for an OOM kill: projected peak "
            + Evidence.human(projectedPeak) + " against a " + Evidence.human(limit) + " limit (" + now.limitSource() + ")"
            + (secondsLeft != null ? String.format(java.util.Locale.ROOT, ", about %.1f s left.", secondsLeft) : ".")
            + ForkTerms.regime(now),
        Evidence.with().put("projectedPeakBytes", projectedPeak).put("limitBytes", limit).put("physicalBytes", physical)
            .put("cgroupUsageBytes", now.cgroupUsage())
            .put("baselineBytes", baseline).put("secondsLeft", secondsLeft).put("progress", progress)
            .put("progressSource", progress == null ? "none" : progressSource).put("elapsedMs", elapsedMs)
            .put("forkKind", now.detail() == null ? null : now.detail().forkKind())
            .put("oomGroup", now.oomGroup()).map(),
        "Is a BGSAVE or AOF rewrite running (INFO persistence)? Watch the cgroup's memory usage and the write rate.",
        "To save the server now: stop the write burst or kill the fork child (the save fails, the data stays). "
            + "For good: headroom for copy-on-write, vm.overcommit_memory=1, THP off, saves at quiet times."));
  }

  private static String capitalized(final String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
