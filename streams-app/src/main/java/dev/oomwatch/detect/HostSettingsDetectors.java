package dev.oomwatch.detect;

import dev.oomwatch.join.KernelView;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.List;
import java.util.Optional;

/** The host-wide detectors: kernel settings that put every persistent Redis on the host at risk. */
public final class HostSettingsDetectors {
  private HostSettingsDetectors() {}

  public static List<HostDetector> all() {
    return List.of(new Overcommit(), new TransparentHugePages());
  }

  /** OVERCOMMIT_HEURISTIC: vm.overcommit_memory is 0 on a host with a persistent instance. */
  public static final class Overcommit implements HostDetector {
    @Override
    public AlertType type() {
      return AlertType.OVERCOMMIT_HEURISTIC;
    }

    @Override
    public Optional<Finding> evaluate(final KernelView view, final boolean persistent, final DetectionConfig config) {
      if (!persistent || view.overcommitMemory() == null || view.overcommitMemory() != 0) {
        return Optional.empty();
      }
      return Optional.of(new Finding(type(), Severity.WARNING,
          "vm.overcommit_memory is 0 on a host with persistent Redis: a fork can fail with 'Cannot allocate memory' "
              + "or leave no margin for copy-on-write.",
          Evidence.with().put("overcommitMemory", view.overcommitMemory()).map(),
          "cat /proc/sys/vm/overcommit_memory",
          "sysctl vm.overcommit_memory=1 (and in /etc/sysctl.d) and plan capacity yourself."));
    }
  }

  /** THP_ENABLED: transparent huge pages not 'never' (always: WARNING, madvise: INFO). */
  public static final class TransparentHugePages implements HostDetector {
    @Override
    public AlertType type() {
      return AlertType.THP_ENABLED;
    }

    @Override
    public Optional<Finding> evaluate(final KernelView view, final boolean persistent, final DetectionConfig config) {
      if (view.thpEnabled() == null || view.thpEnabled().equals("never")) {
        return Optional.empty();
      }
      final boolean always = view.thpEnabled().equals("always");
      return Optional.of(new Finding(type(), always ? Severity.WARNING : Severity.INFO,
          "Transparent huge pages are '" + view.thpEnabled() + "': during a fork one written byte can copy a 2 MB page "
              + "instead of 4 KB, multiplying copy-on-write, and forks get slower.",
          Evidence.with().put("thpEnabled", view.thpEnabled()).map(),
          "cat /sys/kernel/mm/transparent_hugepage/enabled",
          "echo never > /sys/kernel/mm/transparent_hugepage/enabled, persisted with a systemd unit or tmpfiles."));
    }
  }
}
