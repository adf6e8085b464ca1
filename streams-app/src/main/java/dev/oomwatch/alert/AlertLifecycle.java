package dev.oomwatch.alert;

import dev.oomwatch.detect.Finding;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns findings into alert events: one FIRING per (host, instance, type) until it RESOLVES; a
 * change of severity is a new FIRING event of the same alert; RESOLVED once the condition has been
 * clear for {@code resolveAfter}. A rise in severity is told at once, a fall only once it has held
 * for {@code resolveAfter}. Pure: the caller keeps {@code live} in a state store.
 */
public final class AlertLifecycle {
  private AlertLifecycle() {}

  /**
   * One step for one (host, instance): {@code evaluated} are the types judged now (a type not
   * judged neither fires nor clears), {@code findings} those whose condition holds. {@code live}
   * is updated in place; the events to publish are returned in order.
   */
  public static List<Alert> step(
      final String host,
      final String instance,
      final Collection<AlertType> evaluated,
      final List<Finding> findings,
      final Map<AlertType, LiveAlert> live,
      final long nowMs,
      final Duration resolveAfter) {
    final List<Alert> events = new ArrayList<>();
    final Set<AlertType> holding = EnumSet.noneOf(AlertType.class);
    for (final Finding f : findings) {
      holding.add(f.type());
      final LiveAlert current = live.get(f.type());
      if (current == null) {
        final LiveAlert fired = new LiveAlert(id(host, instance, f.type(), nowMs), f.type(), f.severity(), host, instance,
            nowMs, nowMs, f.summary(), Map.copyOf(f.evidence()), f.firstCheck(), f.fix(), null, null);
        live.put(f.type(), fired);
        events.add(fired.toAlert(AlertStatus.FIRING, nowMs, f.summary(), null));
      } else if (f.severity().compareTo(current.severity()) < 0) {
        // Down a level: only once the lower level has held for the clear period, so an alert
        // that hovers at a boundary does not flap between two severities.
        final long since = current.lowerSinceMs() == null ? nowMs : current.lowerSinceMs();
        if (nowMs - since >= resolveAfter.toMillis()) {
          final LiveAlert lowered = new LiveAlert(current.alertId(), f.type(), f.severity(), host, instance,
              current.firedAtMs(), nowMs, f.summary(), Map.copyOf(f.evidence()), f.firstCheck(), f.fix(), null, null);
          live.put(f.type(), lowered);
          events.add(lowered.toAlert(AlertStatus.FIRING, nowMs, f.summary(), null));
        } else if (current.lowerSinceMs() == null || current.clearSinceMs() != null) {
          live.put(f.type(), current.clearSince(null).lowerSince(since));
        }
      } else if (f.severity().compareTo(current.severity()) > 0) {
        final LiveAlert changed = new LiveAlert(current.alertId(), f.type(), f.severity(), host, instance,
            current.firedAtMs(), nowMs, f.summary(), Map.copyOf(f.evidence()), f.firstCheck(), f.fix(), null, null);
        live.put(f.type(), changed);
        events.add(changed.toAlert(AlertStatus.FIRING, nowMs, f.summary(), null));
      } else if (current.clearSinceMs() != null || current.lowerSinceMs() != null) {
        live.put(f.type(), current.clearSince(null).lowerSince(null));
      }
    }
    for (final AlertType type : evaluated) {
      final LiveAlert current = live.get(type);
      if (current == null || holding.contains(type)) {
        continue;
      }
      if (current.clearSinceMs() == null) {
        live.put(type, current.clearSince(nowMs));
      } else if (nowMs - current.clearSinceMs() >= resolveAfter.toMillis()) {
        live.remove(type);
        events.add(current.toAlert(AlertStatus.RESOLVED, nowMs,
            "Resolved: " + current.summary(), nowMs));
      }
    }
    return events;
  }

  /** Resolves every live alert at once, saying why (the instance stopped reporting). */
  public static List<Alert> resolveAll(final Map<AlertType, LiveAlert> live, final long nowMs, final String why) {
    final List<Alert> events = new ArrayList<>();
    for (final LiveAlert current : live.values()) {
      events.add(current.toAlert(AlertStatus.RESOLVED, nowMs, "Resolved (" + why + "): " + current.summary(), nowMs));
    }
    live.clear();
    return events;
  }

  static String id(final String host, final String instance, final AlertType type, final long firedAtMs) {
    return host + "/" + (instance == null ? "-" : instance) + "/" + type + "/" + firedAtMs;
  }
}
