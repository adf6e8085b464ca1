package dev.oomwatch.collector.kernel;

import java.util.HashMap;
import java.util.Map;

/**
 * The kernel's "key value [kB]" text files (/proc/meminfo, /proc/PID/status, smaps_rollup,
 * /proc/vmstat, memory.stat, memory.events). Values in kB become bytes. Lines that do not parse
 * are skipped, so a truncated or garbled file yields fewer keys, never an exception. The kernel
 * ends every such file with a newline: a last line without one was cut short and is dropped, since
 * "VmRSS: 12" may be the start of "VmRSS: 1234 kB".
 */
public final class KeyValueText {
  private KeyValueText() {}

  /** Numeric values by key; "kB" values converted to bytes. */
  public static Map<String, Long> numbers(final String text) {
    final Map<String, Long> values = new HashMap<>();
    if (text == null) {
      return values;
    }
    final String[] lines = text.split("\n");
    final int complete = text.endsWith("\n") ? lines.length : lines.length - 1;
    for (int i = 0; i < complete; i++) {
      final String[] parts = lines[i].trim().split("[:\\s]+");
      if (parts.length < 2 || parts[0].isEmpty()) {
        continue;
      }
      try {
        long value = Long.parseLong(parts[1]);
        if (parts.length >= 3 && "kB".equals(parts[2])) {
          value *= 1024;
        }
        values.putIfAbsent(parts[0], value);
      } catch (NumberFormatException e) {
        // not a number: skipped, as a truncated line would be
      }
    }
    return values;
  }

  /** Text value of {@code key:} in a status-style file, or null. */
  public static String text(final String text, final String key) {
    if (text == null) {
      return null;
    }
    for (final String line : text.split("\n")) {
      if (line.startsWith(key + ":")) {
        return line.substring(key.length() + 1).trim();
      }
    }
    return null;
  }

  /** The bracketed choice of a sysfs selector such as {@code always [madvise] never}. */
  public static String selected(final String text) {
    if (text == null) {
      return null;
    }
    final int open = text.indexOf('[');
    final int close = text.indexOf(']', open + 1);
    return open >= 0 && close > open ? text.substring(open + 1, close) : null;
  }

  /** A file holding one number (memory.current, memory.limit_in_bytes); null if it does not. */
  public static Long longValue(final String text) {
    if (text == null) {
      return null;
    }
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** A file holding one integer (sysctls such as vm.overcommit_memory); null if it does not. */
  public static Integer integer(final String text) {
    if (text == null) {
      return null;
    }
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** PSI's {@code some avg10=0.07 ...} / {@code full ...}: the avg10 of the named line. */
  public static Double psiAvg10(final String text, final String line) {
    if (text == null) {
      return null;
    }
    for (final String l : text.split("\n")) {
      if (l.startsWith(line + " ")) {
        for (final String part : l.split(" ")) {
          if (part.startsWith("avg10=")) {
            try {
              return Double.parseDouble(part.substring(6));
            } catch (NumberFormatException e) {
              return null;
            }
          }
        }
      }
    }
    return null;
  }
}
