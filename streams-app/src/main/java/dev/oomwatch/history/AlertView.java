package dev.oomwatch.history;

import dev.oomwatch.schema.Alert;
import java.util.LinkedHashMap;
import java.util.Map;

/** An alert event as the history stores and the API returns it (plain JSON, no Avro types). */
public record AlertView(
    String alertId,
    String type,
    String severity,
    String status,
    String host,
    String instance,
    long firedAtMs,
    long eventTimeMs,
    Long resolvedAtMs,
    String summary,
    Map<String, String> evidence,
    String firstCheck,
    String fix) {

  public static AlertView of(final Alert a) {
    final Map<String, String> evidence = new LinkedHashMap<>();
    a.getEvidence().forEach((k, v) -> evidence.put(k.toString(), v == null ? null : v.toString()));
    return new AlertView(a.getAlertId(), a.getType().name(), a.getSeverity().name(), a.getStatus().name(),
        a.getHost(), a.getInstance(), a.getFiredAtMs(), a.getEventTimeMs(), a.getResolvedAtMs(), a.getSummary(),
        evidence, a.getFirstCheck(), a.getFix());
  }
}
