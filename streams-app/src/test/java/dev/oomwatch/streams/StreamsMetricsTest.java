package dev.oomwatch.streams;

import static dev.oomwatch.streams.Series.T0;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oomwatch.schema.Alert;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/** What the streams-app's /metrics and its JSON alert topic say, after the real topology ran. */
class StreamsMetricsTest {
  private static final long MB = 1024L * 1024;

  @Test
  void anInstancesJoinedFiguresAlertsAndRecordsAreExportedAndTheAlertsGoOutAsJson() throws Exception {
    final Series s = new Series("cache-02", 6380, "/redis", 600);
    s.maxmemoryMb = 0; // unset: MAXMEMORY_MISSIZED fires
    s.cluster = "eu-west-1"; // one Prometheus, one streams-app, several clusters' instances
    final String text;
    final List<TestRecord<String, String>> json;
    final List<Alert> alerts;
    try (TopologyHarness t = new TopologyHarness(Map.of("detect.stale.after", "100000d"), T0)) {
      long ts = T0;
      for (int i = 0; i < 10; i++, ts += 1000) {
        t.send(s.redis(ts, 200, 220, false, null));
        t.send(s.kernel(ts + 500, 220, null, 0, 230));
      }
      alerts = t.drain();
      json = t.alertsJson.readRecordsToList();
      final PrometheusRegistry registry = new PrometheusRegistry();
      StreamsPrometheus.register(registry, t.metrics, () -> null, Long.MAX_VALUE / 4);
      final ByteArrayOutputStream out = new ByteArrayOutputStream();
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
      text = out.toString(StandardCharsets.UTF_8);
    }
    final String labels = "{cluster=\"eu-west-1\",host=\"" + s.host + "\",instance=\"" + s.instance + "\",namespace=\"\",pod=\"\"}";
    assertThat(text)
        .contains("oomwatch_instance_used_memory_bytes" + labels + " " + (double) (200 * MB))
        .contains("oomwatch_instance_limit_bytes" + labels + " " + (double) (600 * MB))
        .contains("oomwatch_instance_physical_bytes" + labels + " " + (double) (230 * MB))
        .contains("oomwatch_instance_forking" + labels + " 0.0")
        .contains("oomwatch_streams_records_total{topic=\"redis-samples\"} 10.0")
        .contains("oomwatch_streams_records_total{topic=\"host-samples\"} 10.0");
    assertThat(alerts).isNotEmpty();
    for (final Alert a : alerts) {
      assertThat(text).contains("oomwatch_alerts_firing{alertname=\"" + a.getType() + "\",cluster=\"eu-west-1\"");
      assertThat(text).contains("oomwatch_alert_events_total{severity=\"" + a.getSeverity() + "\",status=\"FIRING\",type=\""
          + a.getType() + "\"}");
    }
    assertThat(json).hasSameSizeAs(alerts);
    final JsonNode first = new ObjectMapper().readTree(json.get(0).value());
    assertThat(json.get(0).key()).isEqualTo(s.host);
    assertThat(first.path("type").asText()).isEqualTo(alerts.get(0).getType().name());
    assertThat(first.path("summary").asText()).isEqualTo(alerts.get(0).getSummary());
  }
}
