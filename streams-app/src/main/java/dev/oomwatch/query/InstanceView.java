package dev.oomwatch.query;

import dev.oomwatch.detect.InstanceState;
import dev.oomwatch.history.AlertView;
import dev.oomwatch.history.TimelinePoint;
import dev.oomwatch.join.InstanceSnapshot;
import java.util.List;

/**
 * One known instance as {@code GET /api/instances} lists it: its latest snapshot, where it runs
 * (pod, container, how the collector tied it to a process; the working set as the kubelet counts it)
 * its sizing advice (from its own forks; null while its limit or data is unknown) and its firing alerts.
 */
public record InstanceView(
    String host,
    String instance,
    long lastSeenMs,
    TimelinePoint latest,
    Long headroom,
    String limitSource,
    String pod,
    String container,
    String identity,
    Long workingSet,
    dev.oomwatch.sizing.Sizing sizing,
    List<AlertView> firing) {

  static InstanceView of(final String host, final String instance, final InstanceState state,
      final List<AlertView> firing) {
    final InstanceSnapshot s = state.latest();
    final TimelinePoint point = s == null ? null : TimelinePoint.of(s);
    return new InstanceView(host, instance, state.lastSeenMs, point, point == null ? null : point.headroom(),
        s == null ? null : s.limitSource(), s == null ? null : s.pod(), s == null ? null : s.containerName(),
        s == null ? null : s.identity(), s == null ? null : s.workingSet(),
        s == null ? null : dev.oomwatch.sizing.Sizing.of(state.sizing, s), firing);
  }
}
