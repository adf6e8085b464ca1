package dev.oomwatch.history;

import dev.oomwatch.config.Settings;
import java.time.Duration;

/**
 * How much history the streams-app keeps and serves. Keys: {@code history.<name>}.
 *
 * @param retention how long timelines, kills and alert events are kept in the stores (and their
 *     changelogs); 24 h covers a night's incident the next morning
 * @param incidentBefore how far before a kill an incident's snapshots start (the fork that led to
 *     it usually began within a few minutes)
 * @param incidentAfter how far after a kill they go on (the restart and its reload)
 * @param defaultSpan the timeline a request gets without from/to
 */
public record HistoryConfig(Duration retention, Duration incidentBefore, Duration incidentAfter, Duration defaultSpan) {

  public static HistoryConfig from(final Settings s) {
    return new HistoryConfig(
        s.getDuration("history.retention", Duration.ofHours(24)),
        s.getDuration("history.incident.before", Duration.ofMinutes(5)),
        s.getDuration("history.incident.after", Duration.ofMinutes(2)),
        s.getDuration("history.default.span", Duration.ofHours(1)));
  }

  public static HistoryConfig defaults() {
    return from(Settings.empty());
  }
}
