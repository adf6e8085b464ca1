package dev.oomwatch.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class RecordJsonTest {

  @Test
  void rendersUnionsAsPlainValues() throws Exception {
    final String line = RecordJson.toJsonLine(AvroSerdeTest.sample());
    final JsonNode json = RecordJson.mapper().readTree(line);
    assertThat(json.get("usedMemory").isNumber()).isTrue();
    assertThat(json.get("usedMemory").asLong()).isEqualTo(2_750_000_000L);
    assertThat(json.get("maxmemory").isNull()).isTrue();
    assertThat(json.get("errorstats").get("OOM").asLong()).isEqualTo(3L);
    assertThat(line).doesNotContain("{\"long\"");
  }
}
