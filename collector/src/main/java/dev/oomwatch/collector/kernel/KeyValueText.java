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

  /**
   * Numeric values by key; "kB" values converted to bytes. Scanned by hand, not split by regular
   * expressions: the collector reads some 400 of these lines a second and a regex split compiles
   * its pattern on every call.
   */
  public static Map<String, Long> numbers(final String text) {
    final Map<String, Long> values = new HashMap<>();
    if (text == null) {
      return values;
    }
    int start = 0;
    while (start < text.length()) {
      final int end = text.indexOf('\n', start);
      if (end < 0) {
        break; // a last line without its newline was cut short
      }
      line(text, start, end, values);
      start = end + 1;
    }
    return values;
  }

  /** One "key[:] value [kB]" line between {@code from} and {@code to}; anything else is skipped. */
  private static void line(final String text, final int from, final int to, final Map<String, Long> values) {
    int i = skipBlanks(text, from, to);
    final int keyStart = i;
    while (i < to && text.charAt(i) != ':' && !blank(text.charAt(i))) {
      i++;
    }
    if (i == keyStart) {
      return;
    }
    final String key = text.substring(keyStart, i);
    while (i < to && (text.charAt(i) == ':' || blank(text.charAt(i)))) {
      i++;
    }
    long value = 0;
    boolean negative = false;
    if (i < to && text.charAt(i) == '-') {
      negative = true;
      i++;
    }
    final int digits = i;
    while (i < to && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
      if (value > (Long.MAX_VALUE - 9) / 10) {
        return; // overflows a long: not a value we can trust
      }
      value = value * 10 + (text.charAt(i) - '0');
      i++;
    }
    if (i == digits || (i < to && !blank(text.charAt(i)))) {
      return; // no number, or a number run into other characters
    }
    i = skipBlanks(text, i, to);
    if (i + 2 <= to && text.startsWith("kB", i) && (i + 2 == to || blank(text.charAt(i + 2)))) {
      value *= 1024;
    }
    values.putIfAbsent(key, negative ? -value : value);
  }

  private static int skipBlanks(final String text, final int from, final int to) {
    int i = from;
    while (i < to && blank(text.charAt(i))) {
      i++;
    }
    return i;
  }

  private static boolean blank(final char c) {
    return c == ' ' || c == '\t' || c == '\r';
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
