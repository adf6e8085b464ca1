package dev.oomwatch.alertmanager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.schema.AlertType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Every alert type's runbook_url leads to a section of docs/runbooks.md. */
class RunbooksTest {
  @Test
  void everyAlertTypeHasItsSection() throws Exception {
    final String runbooks = Files.readString(Path.of("..", "docs", "runbooks.md"));
    assertThat(Arrays.stream(AlertType.values()).filter(t -> t != AlertType.UNKNOWN))
        .allSatisfy(t -> assertThat(runbooks).as("a section for %s", t)
            .contains("\n## " + t.name().toLowerCase(Locale.ROOT) + "\n"));
  }
}
