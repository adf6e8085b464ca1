package dev.oomwatch.collector.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.collector.ForkActivity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForkWatchTest {
  @TempDir Path root;

  @Test
  void parsesTheKernelsSpaceSeparatedPidsWithoutAllocating() {
    final long[] out = new long[4];
    final byte[] text = "4242 4243 \n".getBytes(StandardCharsets.US_ASCII);
    assertThat(ForkWatch.parsePids(text, text.length, out)).isEqualTo(2);
    assertThat(out[0]).isEqualTo(4242);
    assertThat(out[1]).isEqualTo(4243);
    assertThat(ForkWatch.parsePids(new byte[0], 0, out)).isZero();
    final byte[] noNewline = "7".getBytes(StandardCharsets.US_ASCII);
    assertThat(ForkWatch.parsePids(noNewline, 1, out)).isEqualTo(1);
    assertThat(out[0]).isEqualTo(7);
    final byte[] many = "1 2 3 4 5 6".getBytes(StandardCharsets.US_ASCII);
    assertThat(ForkWatch.parsePids(many, many.length, out)).as("bounded by the output").isEqualTo(4);
  }

  @Test
  void firstNewIgnoresChildrenAlreadySeen() {
    assertThat(ForkWatch.firstNew(new long[] {5, 6}, 2, new long[] {6, 5}, 2)).isEqualTo(-1);
    assertThat(ForkWatch.firstNew(new long[] {5}, 1, new long[] {5, 9}, 2)).isEqualTo(9);
    assertThat(ForkWatch.firstNew(new long[] {5}, 0, new long[] {5}, 1)).isEqualTo(5);
  }

  @Test
  void seesAChildAppearMarksTheForkAndClearsItWhenTheChildOrServerIsGone() throws IOException {
    final Path proc = root.resolve("proc");
    final Path children = proc.resolve("100/task/100/children");
    Files.createDirectories(children.getParent());
    Files.writeString(children, "");
    final ForkActivity forks = new ForkActivity();
    final ForkWatch watch = new ForkWatch(
        new ProcessScanner(KernelPaths.of(proc, root.resolve("sys"), root.resolve("cg")), Set.of("redis-server"), false),
        forks);

    assertThat(watch.poll(List.of(100L))).isEqualTo(-1);
    assertThat(forks.any()).isFalse();
    Files.writeString(children, "101 ");
    assertThat(watch.poll(List.of(100L))).isEqualTo(101);
    assertThat(forks.any()).isTrue();
    assertThat(watch.poll(List.of(100L))).as("the same child is not new twice").isEqualTo(-1);
    Files.writeString(children, "");
    watch.poll(List.of(100L));
    assertThat(forks.any()).isFalse();

    Files.writeString(children, "102 ");
    assertThat(watch.poll(List.of(100L))).isEqualTo(102);
    assertThat(watch.poll(List.of())).as("the server is gone").isEqualTo(-1);
    assertThat(forks.any()).as("a vanished server's fork mark is cleared").isFalse();
  }

  @Test
  void withoutAChildrenFileFallsBackToParentsInProc() throws IOException {
    final Path proc = root.resolve("proc");
    Files.createDirectories(proc.resolve("100"));
    Files.createDirectories(proc.resolve("101"));
    Files.writeString(proc.resolve("101/stat"), "101 (redis-server) S 100 101 1 0 -1");
    final ForkActivity forks = new ForkActivity();
    final ForkWatch watch = new ForkWatch(
        new ProcessScanner(KernelPaths.of(proc, root.resolve("sys"), root.resolve("cg")), Set.of("redis-server"), false),
        forks);
    assertThat(watch.poll(List.of(100L))).isEqualTo(101);
    assertThat(forks.any()).isTrue();
  }
}
