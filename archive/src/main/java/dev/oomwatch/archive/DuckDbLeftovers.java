package dev.oomwatch.archive;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DuckDB's JDBC driver copies its 72 MB native library into the temp folder at every start and
 * deletes it at a normal exit. An archiver killed by the OOM killer or SIGKILL leaves the copy
 * behind, so a container restarted in place after each kill fills its temp folder. At start the
 * archiver deletes the copies older than a minute. A copy is only read while a JVM loads it: one
 * already loaded keeps working without its file (Linux keeps a mapped file until it is unmapped),
 * and a minute is far beyond the moment between a JVM's copying and loading it.
 */
final class DuckDbLeftovers {
  private static final Logger LOG = LoggerFactory.getLogger(DuckDbLeftovers.class);
  static final long MIN_AGE_MS = 60_000;

  private DuckDbLeftovers() {}

  /** Deletes the leftovers in {@code tmp}; returns how many. Never throws: a failed clean-up is logged. */
  static int clean(final Path tmp, final long nowMs) {
    int deleted = 0;
    try (DirectoryStream<Path> copies = Files.newDirectoryStream(tmp, "libduckdb_java*.so")) {
      for (final Path copy : copies) {
        try {
          if (nowMs - Files.getLastModifiedTime(copy).toMillis() >= MIN_AGE_MS && Files.deleteIfExists(copy)) {
            deleted++;
          }
        } catch (IOException e) {
          // another user's copy in a shared /tmp, or gone meanwhile: not ours to clean, the rest still are
          LOG.debug("left {}: {}", copy, e.toString());
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not clean DuckDB's leftover native libraries in {}: {}", tmp, e.toString());
    }
    if (deleted > 0) {
      LOG.info("deleted {} copies of DuckDB's native library left in {} by killed processes", deleted, tmp);
    }
    return deleted;
  }
}
