package dev.oomwatch.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DuckDbLeftoversTest {
  @TempDir Path tmp;

  @Test
  void deletesCopiesOlderThanAMinuteAndAMappedOneStaysReadable() throws IOException {
    final long now = System.currentTimeMillis();
    final Path left = copy("libduckdb_java111.so", now - 3_600_000);
    final Path young = copy("libduckdb_java222.so", now - 5_000);
    final Path loaded = copy("libduckdb_java333.so", now - 3_600_000);
    final Path other = copy("libsomething_else.so", now - 3_600_000);
    try (FileChannel channel = FileChannel.open(loaded, StandardOpenOption.READ)) {
      final MappedByteBuffer mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, 16);
      assertThat(DuckDbLeftovers.clean(tmp, now)).isEqualTo(2);
      assertThat(mapping.get(15)).as("a loaded copy works on without its file").isEqualTo((byte) 16);
    }
    assertThat(left).doesNotExist();
    assertThat(loaded).doesNotExist();
    assertThat(young).as("maybe a JVM between copying and loading it").exists();
    assertThat(other).exists();
  }

  @Test
  void aCopyThatCannotBeDeletedDoesNotStopTheOthers() throws IOException {
    final long now = System.currentTimeMillis();
    // a folder with the library's name: deleting it fails (not empty), as another user's file would
    final Path stuck = Files.createDirectories(tmp.resolve("libduckdb_java000.so"));
    Files.writeString(stuck.resolve("inside"), "x");
    Files.setLastModifiedTime(stuck, FileTime.fromMillis(now - 3_600_000));
    for (int i = 1; i <= 10; i++) {
      copy("libduckdb_java99" + i + ".so", now - 3_600_000);
    }
    assertThat(DuckDbLeftovers.clean(tmp, now)).isEqualTo(10);
    try (var left = Files.list(tmp)) {
      assertThat(left).containsExactly(stuck);
    }
  }

  @Test
  void aMissingFolderIsLoggedNotThrown() {
    assertThat(DuckDbLeftovers.clean(tmp.resolve("absent"), System.currentTimeMillis())).isZero();
  }

  private Path copy(final String name, final long modifiedMs) throws IOException {
    final Path file = Files.write(tmp.resolve(name), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
    Files.setLastModifiedTime(file, FileTime.fromMillis(modifiedMs));
    return file;
  }
}
