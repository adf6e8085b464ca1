package dev.oomwatch.console;

import dev.oomwatch.schema.Alert;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/** One alert as one readable line for a terminal. */
public final class AlertLine {
  private AlertLine() {}

  public static String format(final Alert alert) {
    final StringBuilder line = new StringBuilder()
        .append(Instant.ofEpochMilli(alert.getEventTimeMs()))
        .append(' ').append(pad(alert.getSeverity().name(), 8))
        .append(' ').append(pad(alert.getStatus().name(), 8))
        .append(' ').append(alert.getType())
        .append(' ').append(alert.getInstance() == null ? alert.getHost() : alert.getInstance())
        .append(" — ").append(alert.getSummary());
    final Map<String, String> evidence = new TreeMap<>(alert.getEvidence());
    if (!evidence.isEmpty()) {
      line.append(" [");
      evidence.forEach((k, v) -> line.append(k).append('=').append(v).append(' '));
      line.setLength(line.length() - 1);
      line.append(']');
    }
    return line.toString();
  }

  private static String pad(final String s, final int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }
}
