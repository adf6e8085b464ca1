package dev.oomwatch.alertmanager;

import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What fires now, by alert-state key (host|instance|type), as the compacted topic says: the latest
 * word on each key, FIRING kept, RESOLVED dropped. Pure: the bridge feeds it records in order.
 */
public final class FiringSet {
  private final Map<String, Alert> firing = new LinkedHashMap<>();

  /**
   * Takes the latest word on a key; a null value (a tombstone) ends what fired under it. Returns
   * the firing alert this word leaves behind under other labels, or null: severity is a label in
   * Alertmanager, so an alert that went from WARNING to CRITICAL is, there, a new alert, and the
   * WARNING one must be ended or it would fire on until its endsAt.
   */
  public Alert apply(final String key, final Alert alert) {
    final Alert before = alert == null || alert.getStatus() == AlertStatus.RESOLVED
        ? firing.remove(key) : firing.put(key, alert);
    if (before != null && alert != null && before.getSeverity() != alert.getSeverity()) {
      return ended(before, alert.getEventTimeMs());
    }
    return null;
  }

  /** The alert as RESOLVED at {@code atMs}, its labels unchanged. */
  static Alert ended(final Alert alert, final long atMs) {
    // field by field: Avro's copying builder deep-copies through reflection it may not be allowed
    return Alert.newBuilder()
        .setAlertId(alert.getAlertId()).setType(alert.getType()).setSeverity(alert.getSeverity())
        .setStatus(AlertStatus.RESOLVED).setHost(alert.getHost()).setInstance(alert.getInstance())
        .setFiredAtMs(alert.getFiredAtMs()).setEventTimeMs(atMs).setResolvedAtMs(Math.max(atMs, alert.getFiredAtMs()))
        .setSummary(alert.getSummary()).setEvidence(alert.getEvidence()).setFirstCheck(alert.getFirstCheck())
        .setFix(alert.getFix()).setPodName(alert.getPodName()).setPodNamespace(alert.getPodNamespace())
        .setContainerName(alert.getContainerName())
        .build();
  }

  public List<Alert> firing() {
    return new ArrayList<>(firing.values());
  }

  public int size() {
    return firing.size();
  }
}
