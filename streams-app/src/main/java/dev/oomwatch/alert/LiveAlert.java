package dev.oomwatch.alert;

import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.Map;

/**
 * An alert that is FIRING, as the lifecycle keeps it in its state store: its last firing event,
 * since when its condition has been clear (null while it holds), and since when it has held only
 * at a lower severity (null otherwise).
 */
public record LiveAlert(
    String alertId,
    AlertType type,
    Severity severity,
    String host,
    String instance,
    long firedAtMs,
    long eventTimeMs,
    String summary,
    Map<String, String> evidence,
    String firstCheck,
    String fix,
    Long clearSinceMs,
    Long lowerSinceMs) {

  public LiveAlert clearSince(final Long ms) {
    return new LiveAlert(alertId, type, severity, host, instance, firedAtMs, eventTimeMs, summary, evidence,
        firstCheck, fix, ms, lowerSinceMs);
  }

  public LiveAlert lowerSince(final Long ms) {
    return new LiveAlert(alertId, type, severity, host, instance, firedAtMs, eventTimeMs, summary, evidence,
        firstCheck, fix, clearSinceMs, ms);
  }

  public Alert toAlert(final AlertStatus status, final long eventTime, final String text, final Long resolvedAt) {
    return Alert.newBuilder()
        .setAlertId(alertId)
        .setType(type)
        .setSeverity(severity)
        .setStatus(status)
        .setHost(host)
        .setInstance(instance)
        .setFiredAtMs(firedAtMs)
        .setEventTimeMs(eventTime)
        .setResolvedAtMs(resolvedAt)
        .setSummary(text)
        .setEvidence(evidence)
        .setFirstCheck(firstCheck)
        .setFix(fix)
        .build();
  }
}
