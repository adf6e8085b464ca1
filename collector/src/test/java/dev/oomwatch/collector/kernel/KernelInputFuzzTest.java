package dev.oomwatch.collector.kernel;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.oomwatch.collector.Fixtures;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated kernel text into every kernel parser: no exception escapes, nothing hangs.
 * Seeds are fixed so a failure reproduces.
 */
class KernelInputFuzzTest {
  private static final List<String> SEEDS = List.of(
      Fixtures.text("kmsg/6.18-captured/memcg-kill-server.txt"),
      Fixtures.text("kmsg/4.15-documented/memcg-kill-old-form.txt"),
      Fixtures.text("kmsg/5.10-documented/global-kill-child.txt"),
      Fixtures.text("proc/6.18-captured/meminfo"),
      Fixtures.text("proc/6.18-captured/status-server.txt"),
      Fixtures.text("cgroup/v1-captured/memory.stat"));

  @Test
  void mutatedKernelLogAndProcTextNeverThrowOrHang() {
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      final Random random = new Random(20261124);
      final OomKillAssembler assembler = new OomKillAssembler("h");
      for (int round = 0; round < 3_000; round++) {
        final String text = mutate(SEEDS.get(random.nextInt(SEEDS.size())), random);
        assertThatCode(() -> {
          for (final String line : text.split("\n")) {
            final KmsgRecord record = KmsgRecord.parse(line);
            if (record != null) {
              assembler.accept(record, 0);
            }
            assembler.accept(new KmsgRecord(3, 1, 1, line), 0);
          }
          KeyValueText.numbers(text);
          KeyValueText.text(text, "Name");
          KeyValueText.selected(text);
          KeyValueText.integer(text);
          KeyValueText.psiAvg10(text, "some");
          CgroupRef.parse(text);
          CgroupMemoryParser.parse(new CgroupRef(1 + random.nextInt(2), "/x"), f -> text);
          ProcessScanner.ports(text);
          ProcessScanner.ppidFromStat(text);
        }).as("round %d", round).doesNotThrowAnyException();
      }
    });
  }

  private static String mutate(final String seed, final Random random) {
    final StringBuilder s = new StringBuilder(seed.length() > 4000 ? seed.substring(random.nextInt(seed.length() - 4000)) : seed);
    final int edits = 1 + random.nextInt(20);
    for (int i = 0; i < edits && s.length() > 0; i++) {
      final int at = random.nextInt(s.length());
      switch (random.nextInt(5)) {
        case 0 -> s.setCharAt(at, (char) random.nextInt(128));
        case 1 -> s.deleteCharAt(at);
        case 2 -> s.insert(at, "(),;:=[]-\n kB 99999999999999999999".charAt(random.nextInt(33)));
        case 3 -> s.setLength(at);
        default -> s.insert(at, s.substring(random.nextInt(s.length())));
      }
      if (s.length() > 20_000) {
        s.setLength(20_000);
      }
    }
    return s.toString();
  }
}
