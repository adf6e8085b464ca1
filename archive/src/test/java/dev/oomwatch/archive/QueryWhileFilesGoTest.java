package dev.oomwatch.archive;

import static dev.oomwatch.archive.FixtureRecords.T0;
import static dev.oomwatch.archive.FixtureRecords.redis;
import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.sql.ArchiveViews;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Queries while an archiver removes files: one that starts after a crash deletes its uncommitted
 * roll's files, and a query that listed one a moment before met "Cannot open file … No such file
 * or directory" (a clean-clone ArchiverIT run did). Here a part appears and goes, again and again,
 * beside a committed one; every query answers, with or without it.
 */
class QueryWhileFilesGoTest {
  private static final int ROWS = 20;

  @TempDir Path root;
  @TempDir Path scratch;

  @Test
  void aQueryWhileAnArchiverRemovesItsUncommittedFilesAnswers() throws Exception {
    final List<RedisSample> samples = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      samples.add(redis("cache-a", 6379, T0 + i * 1000L, 400, 430, 4242, 300L, false));
    }
    FixtureArchive.write(root, ArchiveType.REDIS_SAMPLES, samples);
    FixtureArchive.write(scratch, ArchiveType.REDIS_SAMPLES, samples);
    final Path hour = new ArchiveLayout(root).dir(ArchiveType.REDIS_SAMPLES, T0);
    final Path part = new ArchiveLayout(scratch).dir(ArchiveType.REDIS_SAMPLES, T0)
        .resolve(ArchiveLayout.fileName(0, 0, ROWS - 1));
    final Path uncommitted = hour.resolve(ArchiveLayout.fileName(1, 0, ROWS - 1));
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicReference<Throwable> churnFailed = new AtomicReference<>();
    // an uncommitted roll's file, moved into place whole (as a roll does) and deleted (as a restart does)
    final java.util.Random random = new java.util.Random(42);
    final Thread churn = new Thread(() -> {
      try {
        while (!stop.get()) {
          final Path tmp = hour.resolve("next.tmp");
          Files.copy(part, tmp, StandardCopyOption.REPLACE_EXISTING);
          Files.move(tmp, uncommitted, StandardCopyOption.ATOMIC_MOVE);
          Thread.sleep(random.nextInt(30));
          Files.delete(uncommitted);
          Thread.sleep(20 + random.nextInt(30));
        }
      } catch (Throwable t) {
        churnFailed.set(t);
      }
    }, "archiver-restarting");
    churn.start();
    final List<Long> counts = new ArrayList<>();
    try {
      for (int i = 0; i < 80; i++) {
        counts.add(ArchiveViews.query(root, db -> {
          try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM redis_samples")) {
            rs.next();
            return rs.getLong(1);
          }
        }));
      }
    } finally {
      stop.set(true);
      churn.join();
    }
    assertThat(churnFailed.get()).isNull();
    assertThat(counts).hasSize(80).allSatisfy(n -> assertThat(n).isIn((long) ROWS, 2L * ROWS));
  }
}
