package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.join.KernelView;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.List;
import java.util.Optional;

/** The host-wide detectors: kernel settings that put the persistent Redis of the host at risk. */
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
    public Optional<Finding> evaluate(final KernelView view, final HostInstances instances, final DetectionConfig config) {
      if (!instances.persistent() || view.overcommitMemory() == null || view.overcommitMemory() != 0) {
        return Optional.empty();
      }
      return Optional.of(new Finding(type(), Severity.WARNING,
          "vm.overcommit_memory is 0 on a host with persistent Redis: a fork can fail with 'Cannot allocate memory' "
              + "or leave no margin for copy-on-write.",
          Evidence.with().put("overcommitMemory", view.overcommitMemory()).map(),
          "cat /proc/sys/vm/overcommit_memory",
          "sysctl vm.overcommit_memory=1 (and in /etc/sysctl.d) and plan capacity yourself." + instances.nodeSetting()));
    }
  }

  /**
   * THP_ENABLED: transparent huge pages not 'never' on a host with Redis, judged per instance. A
   * modern Redis is rarely exposed: 6.2+ with disable-thp yes (its default) turns them off for
   * itself when the host says always, and with madvise its allocator asks for none. Exposed: a
   * server holding huge pages now (AnonHugePages), or one on an always host that does not turn
   * them off (older than 6.2, or disable-thp no). WARNING when any instance is exposed, INFO when
   * only the host setting is; nothing on a host without Redis.
   */
  public static final class TransparentHugePages implements HostDetector {
    @Override
    public AlertType type() {
      return AlertType.THP_ENABLED;
    }

    @Override
    public Optional<Finding> evaluate(final KernelView view, final HostInstances instances, final DetectionConfig config) {
      if (view.thpEnabled() == null || view.thpEnabled().equals("never") || instances.latest().isEmpty()) {
        return Optional.empty();
      }
      final boolean always = view.thpEnabled().equals("always");
      final java.util.List<String> exposed = new java.util.ArrayList<>();
      final java.util.List<String> safe = new java.util.ArrayList<>();
      for (final InstanceSnapshot now : instances.latest()) {
        final String why = exposure(now, always);
        (why.startsWith("exposed") ? exposed : safe).add(now.instance() + " (" + why + ")");
      }
      final String summary = "Transparent huge pages are '" + view.thpEnabled() + "' on this host: during a fork one "
          + "written byte can copy a 2 MB page instead of 4 KB, multiplying copy-on-write. "
          + (exposed.isEmpty() ? "No Redis here is exposed: " + String.join(", ", safe) + "."
              : "Exposed: " + String.join(", ", exposed) + (safe.isEmpty() ? "." : "; not exposed: " + String.join(", ", safe) + "."));
      return Optional.of(new Finding(type(), exposed.isEmpty() ? Severity.INFO : Severity.WARNING, summary,
          Evidence.with().put("thpEnabled", view.thpEnabled()).put("exposedInstances", exposed.size())
              .put("exposed", exposed.isEmpty() ? null : String.join("; ", exposed))
              .put("notExposed", safe.isEmpty() ? null : String.join("; ", safe)).map(),
          "cat /sys/kernel/mm/transparent_hugepage/enabled; grep AnonHugePages /proc/$(pidof redis-server)/smaps_rollup",
          (exposed.isEmpty() ? "Nothing to do for Redis; " : "Set disable-thp yes (Redis 6.2+) on the exposed instances, or ")
              + "echo never > /sys/kernel/mm/transparent_hugepage/enabled, persisted with a systemd unit or tmpfiles."
              + instances.nodeSetting()));
    }

    /** Why an instance is or is not exposed; starts with "exposed" when it is. */
    static String exposure(final InstanceSnapshot now, final boolean always) {
      final Long huge = now.serverAnonHugePages();
      if (huge != null && huge > 0) {
        return "exposed: holds " + Evidence.human(huge) + " in huge pages";
      }
      if (!always) {
        return "its allocator does not ask for huge pages under madvise";
      }
      final Boolean disable = now.detail() == null ? null : now.detail().disableThp();
      final String version = now.detail() == null ? null : now.detail().redisVersion();
      if (Boolean.FALSE.equals(disable)) {
        return "exposed: disable-thp no";
      }
      if (Boolean.TRUE.equals(disable)) {
        return "disable-thp yes";
      }
      if (version == null) {
        return "exposed: version unknown, disable-thp not read";
      }
      return turnsThpOff(version) ? "Redis " + version + " turns THP off for itself by default (disable-thp)"
          : "exposed: Redis " + version + " is older than 6.2 and has no disable-thp";
    }

    /** Redis 6.2+ and every Valkey (forked from 7.2) have disable-thp, on by default. */
    static boolean turnsThpOff(final String version) {
      if (version.startsWith("valkey")) {
        return true;
      }
      final String[] parts = version.split("\\.");
      try {
        final int major = Integer.parseInt(parts[0]);
        final int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
        return major > 6 || (major == 6 && minor >= 2);
      } catch (NumberFormatException e) {
        return false;
      }
    }
  }
}
