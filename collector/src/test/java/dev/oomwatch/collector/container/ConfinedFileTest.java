package dev.oomwatch.collector.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A container's root made by hand: whatever its /etc/hostname is, the read takes a plain small
 * file and nothing else, on the real kernel's openat2.
 */
class ConfinedFileTest {
  @TempDir Path root;
  @TempDir Path elsewhere;

  @BeforeEach
  void etc() throws Exception {
    assumeTrue(ConfinedFile.unavailableReason() == null, () -> "skipped: " + ConfinedFile.unavailableReason());
    Files.createDirectories(root.resolve("etc"));
  }

  private ConfinedFile.Result hostname() {
    // the bound ends only a read that is truly stuck (a FIFO opened for reading waits for ever)
    return assertTimeoutPreemptively(Duration.ofSeconds(30), () -> ConfinedFile.read(root, "etc/hostname", 65));
  }

  @Test
  void aPlainHostnameIsRead() throws Exception {
    Files.writeString(root.resolve("etc/hostname"), "cache-0\n");
    assertThat(hostname().text()).isEqualTo("cache-0\n");
  }

  @Test
  void aSymlinkToTheReadersOwnEnvironmentIsRefused() throws Exception {
    Files.createSymbolicLink(root.resolve("etc/hostname"), Path.of("/proc/self/environ"));
    assertThat(hostname().text()).isNull();
    assertThat(hostname().refused()).contains("symlink");
  }

  @Test
  void aSymlinkedFolderOnTheWayIsRefused() throws Exception {
    Files.delete(root.resolve("etc"));
    Files.writeString(elsewhere.resolve("hostname"), "cache-0\n");
    Files.createSymbolicLink(root.resolve("etc"), elsewhere);
    assertThat(hostname().text()).isNull();
    assertThat(hostname().refused()).contains("symlink");
  }

  @Test
  void dotDotStaysInsideTheRoot() throws Exception {
    final ConfinedFile.Result read = ConfinedFile.read(root, "../../../../../etc/passwd", 4096);
    assertThat(read.text()).isNull();
    assertThat(read.refused()).isEqualTo("missing");
  }

  @Test
  void aFifoIsRefusedWithoutWaitingForAWriter() throws Exception {
    assertThat(new ProcessBuilder("mkfifo", root.resolve("etc/hostname").toString()).start().waitFor()).isZero();
    assertThat(hostname().text()).isNull();
    assertThat(hostname().refused()).isEqualTo("not a regular file");
  }

  @Test
  void aDeviceIsRefused() throws Exception {
    final Process mknod = new ProcessBuilder("mknod", root.resolve("etc/hostname").toString(), "c", "1", "5").start();
    assumeTrue(mknod.waitFor() == 0, "skipped: mknod needs root");
    assertThat(hostname().text()).isNull();
    assertThat(hostname().refused()).isEqualTo("not a regular file");
  }

  @Test
  void aLargeFileIsRefusedNotTruncated() throws Exception {
    Files.writeString(root.resolve("etc/hostname"), "a".repeat(1 << 20));
    assertThat(hostname().text()).isNull();
    assertThat(hostname().refused()).startsWith("larger than 65 bytes");
  }
}
