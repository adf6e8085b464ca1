package dev.oomwatch.collector.discover;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * User names of the host, from its init process's root ({@code /proc/1/root/etc/passwd}): a
 * collector in a container has its own image's passwd, not the node's. Reread when it changes.
 */
final class HostUsers {
  private final Path passwd;
  private Map<Integer, String> names = Map.of();
  private long readModified = Long.MIN_VALUE;

  HostUsers(final Path proc) {
    final Path host = proc.resolve("1/root/etc/passwd");
    this.passwd = Files.isReadable(host) ? host : Path.of("/etc/passwd");
  }

  synchronized String nameOf(final int uid) {
    try {
      final long modified = Files.getLastModifiedTime(passwd).toMillis();
      if (modified != readModified) {
        names = parse(passwd);
        readModified = modified;
      }
    } catch (IOException | RuntimeException e) {
      // the names stay as last read; an owner given by number still matches
    }
    return names.get(uid);
  }

  static Map<Integer, String> parse(final Path file) throws IOException {
    final Map<Integer, String> out = new HashMap<>();
    try (InputStream in = Files.newInputStream(file)) {
      for (final String line : new String(in.readNBytes(4 << 20), StandardCharsets.UTF_8).split("\n")) {
        final String[] f = line.split(":", -1);
        if (f.length >= 3) {
          try {
            out.putIfAbsent(Integer.parseInt(f[2]), f[0]);
          } catch (NumberFormatException e) {
            // not an entry
          }
        }
      }
    }
    return out;
  }
}
