package dev.oomwatch.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveLayoutTest {
  @TempDir Path root;

  @Test
  void listingWhileAnArchiverWritesAndRemovesItsTemporaryFilesNeverFails() throws Exception {
    final ArchiveLayout layout = new ArchiveLayout(root);
    final Path hour = layout.dir(ArchiveType.REDIS_SAMPLES, 1_795_000_000_000L);
    Files.createDirectories(hour);
    Files.writeString(hour.resolve(ArchiveLayout.fileName(0, 0, 99)), "x");
    Files.writeString(hour.resolve(ArchiveLayout.fileName(1, 0, 49)), "x");
    final AtomicBoolean stop = new AtomicBoolean();
    // what a roll does: temporary files appear and go, many of them, all the time
    final Thread churn = new Thread(() -> {
      long n = 0;
      while (!stop.get()) {
        try {
          final Path tmp = hour.resolve(ArchiveLayout.fileName(2, n, n) + ".json.tmp");
          Files.writeString(tmp, "x");
          Files.delete(tmp);
          n++;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    });
    churn.start();
    try {
      for (int i = 0; i < 3_000; i++) {
        assertThat(layout.parts(ArchiveType.REDIS_SAMPLES)).extracting(ArchiveLayout.Part::partition)
            .containsExactlyInAnyOrder(0, 1);
      }
    } finally {
      stop.set(true);
      churn.join();
    }
  }
}
