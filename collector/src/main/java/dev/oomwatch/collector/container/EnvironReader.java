package dev.oomwatch.collector.container;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** One variable from a NUL-separated {@code /proc/PID/environ}; null when absent or unreadable. */
final class EnvironReader {
  private EnvironReader() {}

  static String variable(final Path environ, final String name) {
    try {
      return variable(new String(Files.readAllBytes(environ), StandardCharsets.UTF_8), name);
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
