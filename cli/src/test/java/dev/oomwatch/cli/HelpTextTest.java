package dev.oomwatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code bin/oomwatch --help} lists every command with a whole sentence, not the first line of a longer text. */
class HelpTextTest {
  @Test
  void everyCommandInTheListIsSummedUpInOneWholeSentence() {
    final String usage = new CommandLine(new Oomwatch()).getUsageMessage(CommandLine.Help.Ansi.OFF);
    final List<String> commands = Arrays.stream(usage.substring(usage.indexOf("Commands:")).split("\n"))
        .skip(1).filter(l -> !l.isBlank()).toList();
    // an entry is its command's line and the deeper-indented lines it wraps onto
    final List<StringBuilder> entries = new java.util.ArrayList<>();
    for (final String line : commands) {
      if (line.startsWith("  ") && !line.startsWith("   ")) {
        entries.add(new StringBuilder(line.trim()));
      } else {
        entries.get(entries.size() - 1).append(' ').append(line.trim());
      }
    }
    assertThat(entries).hasSizeGreaterThanOrEqualTo(8);
    assertThat(entries).allSatisfy(entry -> assertThat(entry.toString()).matches("\\S+\\s+[A-Z].*[.]"));
  }
}
