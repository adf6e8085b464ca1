package dev.oomwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.collector.publish.Publisher;
import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.config.Settings;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CollectorPrometheusTest {
  @Test
  void readErrorsAreFoldedByFileWithPidsAndNumbersTakenOut() {
    final Map<String, AtomicLong> reasons = Map.of(
        "/proc/123/status: truncated after 12 bytes", new AtomicLong(2),
        "/proc/456/status: truncated after 40 bytes", new AtomicLong(3),
        "/dev/kmsg: unknown record format", new AtomicLong(1));
    final Map<String, Long> folded = new java.util.TreeMap<>();
    CollectorPrometheus.readErrors(reasons).forEach((k, v) -> folded.put(k[0] + " | " + k[1], v));
    assertThat(folded).containsExactly(
        Map.entry("/dev/kmsg | unknown record format", 1L),
        Map.entry("/proc/PID/status | truncated after N bytes", 5L));
  }

  @Test
  void theCountersTheCollectorKeepsAreWhatPrometheusReads() throws Exception {
    final CollectorMetrics m = new CollectorMetrics();
    m.redisSamples.set(7);
    m.kernelKills.set(1);
    m.published("oomwatch.redis-samples");
    m.readError("/proc/9/smaps_rollup: cannot read");
    m.kernelLogRead.set(0); // /dev/kmsg unreadable from the start: no read error ever counts it
    final PrometheusRegistry registry = new PrometheusRegistry();
    try (Publisher publisher = new Publisher(KafkaSettings.from(Settings.of(Map.of(
        KafkaSettings.BOOTSTRAP, "127.0.0.1:1"))), 10, m)) {
      CollectorPrometheus.register(registry, "node-1", m, publisher, List.of());
      final ByteArrayOutputStream out = new ByteArrayOutputStream();
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
      final String text = out.toString(StandardCharsets.UTF_8);
      assertThat(text)
          .contains("oomwatch_collector_samples_total{host=\"node-1\",source=\"redis\"} 7.0")
          .contains("oomwatch_collector_kernel_oom_kills_total{host=\"node-1\"} 1.0")
          .contains("oomwatch_collector_published_total{host=\"node-1\",topic=\"oomwatch.redis-samples\"} 1.0")
          .contains("oomwatch_collector_read_errors_total{file=\"/proc/PID/smaps_rollup\",host=\"node-1\",reason=\"cannot read\"} 1.0")
          .contains("oomwatch_collector_buffer_records{host=\"node-1\"} 0.0")
          .contains("oomwatch_collector_kernel_log_readable{host=\"node-1\"} 0.0");
    }
  }
}
