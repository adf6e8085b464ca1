package dev.oomwatch.query;

import dev.oomwatch.history.AlertView;
import java.util.Locale;

/** The filters of {@code GET /api/alerts}; each null matches everything. */
record AlertFilter(String status, String host, String type) {
  static AlertFilter of(final String status, final String host, final String type) {
    return new AlertFilter(upper(status), host, upper(type));
  }

  boolean matches(final AlertView a) {
    return (status == null || status.equals(a.status()))
        && (host == null || host.equals(a.host()))
        && (type == null || type.equals(a.type()));
  }

  private static String upper(final String s) {
    return s == null || s.isBlank() ? null : s.trim().toUpperCase(Locale.ROOT);
  }
}
