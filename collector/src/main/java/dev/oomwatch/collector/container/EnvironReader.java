package dev.oomwatch.collector.container;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** One variable from a NUL-separated {@code /proc/PID/environ}; null when absent or unreadable. */
final class EnvironReader {
  private EnvironReader() {}

  /** At most {@code maxBytes} of the environment are read: its length is the process's choice. */
  static String variable(final Path environ, final String name, final int maxBytes) {
    try (InputStream in = Files.newInputStream(environ)) {
      return variable(new String(in.readNBytes(maxBytes), StandardCharsets.UTF_8), name);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  static String variable(final String environ, final String name) {
    final String prefix = name + "=";
    for (final String entry : environ.split("\0")) {
      if (entry.startsWith(prefix) && entry.length() > prefix.length()) {
        return entry.substring(prefix.length());
      }
    }
    return null;
  }
}
