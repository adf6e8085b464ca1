package dev.oomwatch.alertmanager;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * An oomwatch alert as Alertmanager's v2 API takes it ({@code POST /api/v2/alerts}): the labels
 * that make its identity (alertname = the type, severity, host, instance, pod, namespace,
 * container), the annotations a person reads, and its times. Pure: no I/O.
 */
public final class AlertmanagerPayload {
  /** Before and after the alert's time, the span of the timeline page its link opens. */
  static final long PAGE_BEFORE_MS = 5 * 60_000L;
  static final long PAGE_AFTER_MS = 2 * 60_000L;

  private AlertmanagerPayload() {}

  /** The labels: Alertmanager's identity of the alert (its fingerprint is their hash). */
  public static Map<String, String> labels(final Alert alert) {
    final Map<String, String> labels = new TreeMap<>();
    labels.put("alertname", alert.getType().name());
    labels.put("severity", alert.getSeverity().name().toLowerCase(Locale.ROOT));
    labels.put("host", alert.getHost());
    putIfKnown(labels, "instance", alert.getInstance());
    putIfKnown(labels, "pod", alert.getPodName());
    putIfKnown(labels, "namespace", alert.getPodNamespace());
    putIfKnown(labels, "container", alert.getContainerName());
    // the collector's cluster.id, over a bridge's fixed alertmanager.labels.cluster
    putIfKnown(labels, "cluster", alert.getCluster());
    return labels;
  }

  /**
   * One alert. A firing one ends {@code endsAtAheadMs} after {@code nowMs} unless sent again; a
   * resolved one ended when it resolved.
   */
  public static ObjectNode toJson(final Alert alert, final long nowMs, final long endsAtAheadMs, final String pageUrl) {
    return toJson(alert, nowMs, endsAtAheadMs, pageUrl, Extras.NONE);
  }

  /**
   * What a deployment adds to every alert: fixed labels (the cluster it watches, a team) and the
   * base of the runbook links (each alert's {@code runbook_url} is it with the type's anchor).
   */
  public record Extras(Map<String, String> labels, String runbookBase) {
    public static final Extras NONE = new Extras(Map.of(), null);
  }

  public static ObjectNode toJson(final Alert alert, final long nowMs, final long endsAtAheadMs, final String pageUrl,
      final Extras extras) {
    final ObjectNode node = JsonNodeFactory.instance.objectNode();
    final ObjectNode labels = node.putObject("labels");
    new TreeMap<>(extras.labels()).forEach(labels::put);
    labels(alert).forEach(labels::put);
    final ObjectNode annotations = node.putObject("annotations");
    annotations.put("summary", alert.getSummary());
    if (extras.runbookBase() != null) {
      annotations.put("runbook_url", extras.runbookBase() + "#" + alert.getType().name().toLowerCase(Locale.ROOT));
    }
    annotations.put("description", describe(alert.getEvidence()));
    putIfKnown(annotations, "first_check", alert.getFirstCheck());
    putIfKnown(annotations, "fix", alert.getFix());
    // a kill's consequences in Redis's terms (MISCONF, a cold restart, replicas' full resyncs)
    putIfKnown(annotations, "next", alert.getEvidence() == null ? null : alert.getEvidence().get("next"));
    node.put("startsAt", iso(alert.getFiredAtMs()));
    if (alert.getStatus() == AlertStatus.RESOLVED) {
      final long resolved = alert.getResolvedAtMs() != null ? alert.getResolvedAtMs() : alert.getEventTimeMs();
      // Alertmanager refuses an end before the start
      node.put("endsAt", iso(Math.max(resolved, alert.getFiredAtMs())));
    } else {
      node.put("endsAt", iso(Math.max(nowMs, alert.getFiredAtMs()) + endsAtAheadMs));
    }
    node.put("generatorURL", pageLink(pageUrl, alert));
    return node;
  }

  public static ArrayNode toJson(final Collection<Alert> alerts, final long nowMs, final long endsAtAheadMs,
      final String pageUrl) {
    return toJson(alerts, nowMs, endsAtAheadMs, pageUrl, Extras.NONE);
  }

  public static ArrayNode toJson(final Collection<Alert> alerts, final long nowMs, final long endsAtAheadMs,
      final String pageUrl, final Extras extras) {
    final ArrayNode array = JsonNodeFactory.instance.arrayNode();
    alerts.forEach(a -> array.add(toJson(a, nowMs, endsAtAheadMs, pageUrl, extras)));
    return array;
  }

  /** The evidence as one line, its names in order: "cgroup=/kubepods/... victimPid=13384". */
  static String describe(final Map<String, String> evidence) {
    if (evidence == null || evidence.isEmpty()) {
      return "";
    }
    final StringBuilder b = new StringBuilder();
    new TreeMap<>(evidence).forEach((k, v) -> {
      if (b.length() > 0) {
        b.append(' ');
      }
      b.append(k).append('=').append(v);
    });
    return b.toString();
  }

  /** The timeline page at the alert's instance, five minutes before its time to two after. */
  static String pageLink(final String pageUrl, final Alert alert) {
    final String base = pageUrl.contains("#") ? pageUrl.substring(0, pageUrl.indexOf('#')) : pageUrl;
    final long at = alert.getEventTimeMs();
    final StringBuilder hash = new StringBuilder();
    if (alert.getInstance() != null) {
      hash.append("i=").append(URLEncoder.encode(alert.getHost() + "|" + alert.getInstance(), StandardCharsets.UTF_8))
          .append('&');
    }
    hash.append("from=").append(at - PAGE_BEFORE_MS).append("&to=").append(at + PAGE_AFTER_MS);
    return base + "#" + hash;
  }

  private static String iso(final long ms) {
    return Instant.ofEpochMilli(ms).toString();
  }

  private static void putIfKnown(final Map<String, String> map, final String key, final String value) {
    if (value != null && !value.isBlank()) {
      map.put(key, value);
    }
  }

  private static void putIfKnown(final ObjectNode node, final String key, final String value) {
    if (value != null && !value.isBlank()) {
      node.put(key, value);
    }
  }
}
