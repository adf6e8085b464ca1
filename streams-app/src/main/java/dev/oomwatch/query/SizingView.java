package dev.oomwatch.query;

import dev.oomwatch.detect.InstanceState;
import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.sizing.Sizing;

/** One instance's sizing advice as {@code GET /api/sizing} lists it, riskiest first. */
public record SizingView(String cluster, String host, String instance, String pod, String container, long lastSeenMs,
    Sizing sizing) {

  /** Null when the instance cannot be sized (no limit or data known yet). */
  static SizingView of(final String host, final String instance, final InstanceState state) {
    final InstanceSnapshot s = state.latest();
    final Sizing sizing = s == null ? null : Sizing.of(state.sizing, s);
    return sizing == null ? null
        : new SizingView(s.cluster(), host, instance, s.pod(), s.containerName(), state.lastSeenMs, sizing);
  }
}
