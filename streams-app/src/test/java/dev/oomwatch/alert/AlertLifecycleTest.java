package dev.oomwatch.alert;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.detect.Finding;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AlertLifecycleTest {
  private static final Duration CLEAR = Duration.ofSeconds(60);
  private static final Set<AlertType> TYPES = Set.of(AlertType.RSS_NEAR_LIMIT);

  private static Finding rss(final Severity severity) {
    return new Finding(AlertType.RSS_NEAR_LIMIT, severity, "s", Map.of("ratio", "0.8"), "c", "f");
  }

  @Test
  void firesOnceWhileTheConditionHolds() {
    final Map<AlertType, LiveAlert> live = new EnumMap<>(AlertType.class);
    final List<Alert> first = AlertLifecycle.step("h", "i", TYPES, List.of(rss(Severity.WARNING)), live, 1_000, CLEAR);
    final List<Alert> second = AlertLifecycle.step("h", "i", TYPES, List.of(rss(Severity.WARNING)), live, 2_000, CLEAR);
    assertThat(first).singleElement().extracting(Alert::getStatus).isEqualTo(AlertStatus.FIRING);
    assertThat(second).isEmpty();
  }

  @Test
  void aChangeOfSeverityIsANewEventOfTheSameAlert() {
    final Map<AlertType, LiveAlert> live = new EnumMap<>(AlertType.class);
    final Alert warning = AlertLifecycle.step("h", "i", TYPES, List.of(rss(Severity.WARNING)), live, 1_000, CLEAR).get(0);
    final Alert critical = AlertLifecycle.step("h", "i", TYPES, List.of(rss(Severity.CRITICAL)), live, 2_000, CLEAR).get(0);
    assertThat(critical.getSeverity()).isEqualTo(Severity.CRITICAL);
    assertThat(critical.getAlertId()).isEqualTo(warning.getAlertId());
    assertThat(critical.getFiredAtMs()).isEqualTo(1_000L);
    assertThat(critical.getEventTimeMs()).isEqualTo(2_000L);
  }

  @Test
  void aFallInSeverityIsToldOnlyOnceItHeldForTheClearPeriod() {
    final Map<AlertType, LiveAlert> live = new EnumMap<>(AlertType.class);
    AlertLifecycle.step("h", "i", TYPES, List.of(rss(Severity.WARNING)), live, 0, CLEAR);
    assertThat(AlertLifecycle.step("h", "i", TYPES, List.of(rss(Severity.CRITICAL)), live, 1_000, CLEAR)).hasSize(1);
    // hovering at the boundary: no event for each swing
    assertThat(AlertLifecycle.step("h", "i", TYPES, List.of(rss(Severity.WARNING)), live, 2_000, CLEAR)).isEmpty();
    assertThat(AlertLifecycle.step("h", "i", TYPES, List.of(rss(Severity.CRITICAL)), live, 3_000, CLEAR)).isEmpty();
    assertThat(AlertLifecycle.step("h", "i", TYPES, List.of(rss(Severity.WARNING)), live, 4_000, CLEAR)).isEmpty();
    final List<Alert> lowered = AlertLifecycle.step("h", "i", TYPES, List.of(rss(Severity.WARNING)), live, 64_000, CLEAR);
    assertThat(lowered).singleElement().extracting(Alert::getSeverity).isEqualTo(Severity.WARNING);
  }

  @Test
  void resolvesOnlyAfterTheConditionStayedClearAndAReturnCancelsTheClock() {
    final Map<AlertType, LiveAlert> live = new EnumMap<>(AlertType.class);
    AlertLifecycle.step("h", "i", TYPES, List.of(rss(Severity.WARNING)), live, 0, CLEAR);
    assertThat(AlertLifecycle.step("h", "i", TYPES, List.of(), live, 10_000, CLEAR)).isEmpty();
    assertThat(AlertLifecycle.step("h", "i", TYPES, List.of(rss(Severity.WARNING)), live, 30_000, CLEAR)).isEmpty();
    assertThat(AlertLifecycle.step("h", "i", TYPES, List.of(), live, 40_000, CLEAR)).isEmpty();
    assertThat(AlertLifecycle.step("h", "i", TYPES, List.of(), live, 90_000, CLEAR)).isEmpty();
    final List<Alert> resolved = AlertLifecycle.step("h", "i", TYPES, List.of(), live, 100_000, CLEAR);
    assertThat(resolved).singleElement().satisfies(a -> {
      assertThat(a.getStatus()).isEqualTo(AlertStatus.RESOLVED);
      assertThat(a.getResolvedAtMs()).isEqualTo(100_000L);
    });
    assertThat(live).isEmpty();
  }

  @Test
  void aTypeNotJudgedThisStepNeitherFiresNorClears() {
    final Map<AlertType, LiveAlert> live = new EnumMap<>(AlertType.class);
    AlertLifecycle.step("h", "i", TYPES, List.of(rss(Severity.WARNING)), live, 0, CLEAR);
    AlertLifecycle.step("h", "i", Set.of(AlertType.KERNEL_OOM_KILL), List.of(), live, 100_000, CLEAR);
    assertThat(live.get(AlertType.RSS_NEAR_LIMIT).clearSinceMs()).isNull();
  }
}
