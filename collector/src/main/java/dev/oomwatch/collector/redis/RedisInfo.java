package dev.oomwatch.collector.redis;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * INFO's text as a flat field map ({@code used_memory -> 2952790016}), sections dropped. Parsing is
 * lenient: unknown lines are kept, lines without a colon are ignored, so every Redis and Valkey
 * version parses and a new field never breaks an old collector.
 */
public final class RedisInfo {
  private final Map<String, String> fields;

  private RedisInfo(final Map<String, String> fields) {
    this.fields = Collections.unmodifiableMap(fields);
  }

  public static RedisInfo parse(final String text) {
    final Map<String, String> fields = new LinkedHashMap<>();
    if (text == null) {
      return new RedisInfo(fields);
    }
    for (final String raw : text.split("\n")) {
      final String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
      if (line.isEmpty() || line.charAt(0) == '#') {
        continue;
      }
      final int colon = line.indexOf(':');
      if (colon > 0) {
        fields.put(line.substring(0, colon), line.substring(colon + 1));
      }
    }
    return new RedisInfo(fields);
  }

  public Map<String, String> fields() {
    return fields;
  }

  public String text(final String key) {
    final String value = fields.get(key);
    return value == null || value.isEmpty() ? null : value;
  }

  public Long number(final String key) {
    final String value = fields.get(key);
    if (value == null) {
      return null;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  public Double ratio(final String key) {
    final String value = fields.get(key);
    if (value == null) {
      return null;
    }
    try {
      return Double.parseDouble(value.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** INFO's flags are 0/1. */
  public Boolean flag(final String key) {
    final Long value = number(key);
    return value == null ? null : value != 0;
  }

  /** {@code errorstat_OOM:count=3} as {@code OOM -> 3}; null when the server has no errorstats (before 6.2). */
  public Map<String, Long> errorstats() {
    final Map<String, Long> stats = new LinkedHashMap<>();
    boolean hasSection = false;
    for (final Map.Entry<String, String> e : fields.entrySet()) {
      if (e.getKey().startsWith("errorstat_")) {
        hasSection = true;
        final Long count = subfield(e.getValue(), "count");
        if (count != null) {
          stats.put(e.getKey().substring("errorstat_".length()), count);
        }
      }
    }
    // Redis 6.2+ reports total_error_replies even when no errorstat_ line exists yet.
    return hasSection || fields.containsKey("total_error_replies") ? stats : null;
  }

  /** Sum of {@code keys=} over every {@code dbN:} line; 0 for an empty keyspace on a server that answered. */
  public long totalKeys() {
    long total = 0;
    for (final Map.Entry<String, String> e : fields.entrySet()) {
      if (e.getKey().startsWith("db") && e.getKey().length() > 2 && Character.isDigit(e.getKey().charAt(2))) {
        final Long keys = subfield(e.getValue(), "keys");
        total += keys == null ? 0 : keys;
      }
    }
    return total;
  }

  static Long subfield(final String value, final String name) {
    for (final String part : value.split(",")) {
      final int eq = part.indexOf('=');
      if (eq > 0 && part.substring(0, eq).equals(name)) {
        try {
          return Long.parseLong(part.substring(eq + 1).trim());
        } catch (NumberFormatException e) {
          return null;
        }
      }
    }
    return null;
  }
}
