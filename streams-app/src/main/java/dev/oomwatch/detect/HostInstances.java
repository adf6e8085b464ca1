package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The Redis instances of one host, as the host-wide detectors need them: whether any persists,
 * whether any runs in a pod (a pod cannot change a node's kernel settings), and each one's latest
 * snapshot for the checks judged per instance.
 */
public record HostInstances(boolean persistent, boolean inPods, List<InstanceSnapshot> latest) {
  public static final HostInstances NONE = new HostInstances(false, false, List.of());

  public static HostInstances of(final Collection<InstanceState> states) {
    boolean persistent = false;
    boolean pods = false;
    final List<InstanceSnapshot> latest = new ArrayList<>();
    for (final InstanceState s : states) {
      final InstanceSnapshot now = s.latest();
      if (now == null) {
        continue;
      }
      latest.add(now);
      persistent |= Boolean.TRUE.equals(now.persistent());
      pods |= now.podName() != null;
    }
    return new HostInstances(persistent, pods, List.copyOf(latest));
  }

  /** What the fix of a node setting says on a node whose Redis runs in pods. */
  String nodeSetting() {
    return inPods ? " This is a node setting: a pod cannot change it. Set it on the node (its image, its boot "
        + "configuration or the node owner's DaemonSet)." : "";
  }
}
