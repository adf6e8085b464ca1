package dev.oomwatch.collector.kernel;

/**
 * One /dev/kmsg record: {@code priority,sequence,timestamp_us,flags[,...];message}. Continuation
 * lines (starting with a space, e.g. {@code  SUBSYSTEM=pci}) belong to the record before and carry
 * nothing oomwatch needs. See Documentation/ABI/testing/dev-kmsg.
 */
public record KmsgRecord(int priority, long sequence, long monotonicUs, String message) {

  /** Parses one record; null for a continuation line or anything that is not a record. */
  public static KmsgRecord parse(final String raw) {
    if (raw == null || raw.isEmpty() || raw.charAt(0) == ' ') {
      return null;
    }
    final int semicolon = raw.indexOf(';');
    if (semicolon < 0) {
      return null;
    }
    final String[] prefix = raw.substring(0, semicolon).split(",", 5);
    if (prefix.length < 3) {
      return null;
    }
    try {
      final int priority = Integer.parseInt(prefix[0].trim()) & 7;
      final long sequence = Long.parseLong(prefix[1].trim());
      final long timestamp = Long.parseLong(prefix[2].trim());
      String message = raw.substring(semicolon + 1);
      final int newline = message.indexOf('\n');
      if (newline >= 0) {
        message = message.substring(0, newline);
      }
      return new KmsgRecord(priority, sequence, timestamp, message);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
