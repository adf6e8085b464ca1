package dev.oomwatch.detect;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Builds an alert's evidence: plain numbers (bytes, ms, ratios) by name; nulls left out. */
public final class Evidence {
  private final Map<String, String> values = new LinkedHashMap<>();

  public static Evidence with() {
    return new Evidence();
  }

  public Evidence put(final String key, final Object value) {
    if (value != null) {
      values.put(key, value instanceof Double d ? String.format(Locale.ROOT, "%.3f", d) : String.valueOf(value));
    }
    return this;
  }

  public Map<String, String> map() {
    return values;
  }

  /** Bytes as a person reads them in a summary: 412 MB, 1.8 GB. */
  public static String human(final Long bytes) {
    if (bytes == null) {
      return "?";
    }
    if (bytes >= 1L << 30) {
      return String.format(Locale.ROOT, "%.1f GB", bytes / (double) (1L << 30));
    }
    return String.format(Locale.ROOT, "%d MB", Math.round(bytes / (double) (1L << 20)));
  }

  public static String percent(final double ratio) {
    return String.format(Locale.ROOT, "%.0f%%", ratio * 100);
  }
}
