package dev.oomwatch.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The harness itself, small: the drains, the state measured both ways, the live run, and a machine-readable last line. */
class BenchCommandIT {
  private static final Pattern LAST = Pattern.compile(
      "throughput=(\\d+) passthrough=(\\d+) ratio=([0-9.]+) p50_ms=(\\d+) p99_ms=(\\d+) "
          + "state_kb_instance_day=(\\d+) restore_1250_hosts_day_s=([0-9.]+) full_state_kb_instance_day=(\\d+) "
          + "full_restore_1250_hosts_day_s=([0-9.]+)");

  @TempDir Path work;

  @Test
  void aSmallFleetDrainsBothTopologiesAndMeasuresTheLatencyOfRealAlerts() throws IOException {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final PrintStream stdout = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    final int exit;
    try {
      // forks every few seconds, so that a few seconds of live load cause alerts to time
      exit = new CommandLine(new BenchCommand()).execute("--hosts", "40", "--duration", "8s", "--warmup-rounds", "0",
          "--rounds", "1", "--forks-per-hour", "1200", "--kills-per-hour", "200", "--partitions", "2",
          "--state-duration", "12m", "--work-dir", work.toString());
    } finally {
      System.setOut(stdout);
    }
    final String text = out.toString(StandardCharsets.UTF_8);
    System.out.println(text);
    assertThat(exit).isZero();
    assertThat(text).contains("-backlog.: 8 s of load", "pass-through:", "streams-app:",
        "streams-app with history.full=24h", "live:", "alert latency", "-state.: 720 s of load",
        "state, rolled-up history (as configured): draining 720 s of 40 instances",
        "state, full-resolution history (history.full=24h)", "timeline-rollup", "per instance-day:",
        "of which a quiet instance's", "restore after the state folder is lost: 2 tasks",
        "a task of 1,250 hosts restoring a day of this state");
    final String[] lines = text.strip().split("\n");
    final Matcher last = LAST.matcher(lines[lines.length - 1]);
    assertThat(last.matches()).as(lines[lines.length - 1]).isTrue();
    assertThat(Long.parseLong(last.group(1))).isPositive();
    assertThat(Long.parseLong(last.group(2))).isPositive();
    assertThat(Long.parseLong(last.group(5))).isGreaterThanOrEqualTo(Long.parseLong(last.group(4)));
    // the full-resolution history keeps more per instance than the rolled-up one
    assertThat(Long.parseLong(last.group(8))).isGreaterThan(Long.parseLong(last.group(6)));
    try (Stream<Path> left = Files.list(work)) {
      assertThat(left).as("the run's broker and state folders are deleted").isEmpty();
    }
  }
}
