package dev.oomwatch.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The real redis-server builds the tests can run: the system's (Debian's package: 7.x), and the
 * Redis 6.2 build that the embedded-redis jar on Maven Central carries, copied out of the jar once.
 * With no system Redis the suite still runs, on 6.2.
 */
public final class RedisBinaries {
  /** The Linux x86-64 build inside com.github.codemonstur:embedded-redis (Redis 6.2). */
  private static final String EMBEDDED = "redis-server-6.2.6-v5-linux-amd64";
  private static volatile Path extracted;

  private RedisBinaries() {}

  /** A binary and the version it reports, e.g. ("redis-server", "7.0.15"). */
  public record Binary(String path, String version) {
    public int major() {
      return Integer.parseInt(version.substring(0, version.indexOf('.')));
    }

    @Override
    public String toString() {
      return "Redis " + version + " (" + path + ")";
    }
  }

  /** Every build that runs here: the system's first, then the embedded 6.2. */
  public static List<Binary> all() {
    final List<Binary> out = new ArrayList<>();
    final String override = System.getProperty("oomwatch.test.redis-server");
    final String system = override != null ? override : "redis-server";
    final String systemVersion = version(system);
    if (systemVersion != null) {
      out.add(new Binary(system, systemVersion));
    }
    final Path embedded = embedded();
    if (embedded != null) {
      final String v = version(embedded.toString());
      if (v != null && out.stream().noneMatch(b -> b.version().equals(v))) {
        out.add(new Binary(embedded.toString(), v));
      }
    }
    return out;
  }

  /** The binary tests use by default: the system's, else the embedded 6.2; null when none runs. */
  public static String preferred() {
    final List<Binary> all = all();
    return all.isEmpty() ? null : all.get(0).path();
  }

  /** The embedded 6.2 binary, copied out of its jar into the temp folder once; null off Linux x86-64. */
  static Path embedded() {
    if (extracted != null) {
      return extracted;
    }
    final String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
        || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      return null;
    }
    synchronized (RedisBinaries.class) {
      if (extracted == null) {
        try (InputStream in = RedisBinaries.class.getResourceAsStream("/" + EMBEDDED)) {
          if (in == null) {
            return null;
          }
          final Path dir = Path.of(System.getProperty("java.io.tmpdir"), "oomwatch-redis-6.2");
          Files.createDirectories(dir);
          final Path binary = dir.resolve("redis-server");
          final Path part = Files.createTempFile(dir, "redis-server", ".part");
          Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
          Files.setPosixFilePermissions(part, PosixFilePermissions.fromString("rwxr-xr-x"));
          // another test JVM may be copying it too: each writes its own file, then one rename wins
          Files.move(part, binary, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
          extracted = binary;
        } catch (IOException e) {
          return null;
        }
      }
      return extracted;
    }
  }

  /** "7.0.15" from "Redis server v=7.0.15 sha=..."; null when the binary does not run. */
  static String version(final String binary) {
    try {
      final Process p = new ProcessBuilder(binary, "--version").redirectErrorStream(true).start();
      final String out = new String(p.getInputStream().readAllBytes());
      if (p.waitFor() != 0) {
        return null;
      }
      final int at = out.indexOf("v=");
      return at < 0 ? null : out.substring(at + 2).split("\\s")[0];
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
