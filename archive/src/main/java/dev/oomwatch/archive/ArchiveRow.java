package dev.oomwatch.archive;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oomwatch.wire.RecordJson;
import org.apache.avro.specific.SpecificRecord;

/** One record as one archive row: its fields as JSON, where it came from, and the time that files it. */
public record ArchiveRow(String json, long timeMs) {

  /** {@code fallbackTimeMs} (the Kafka timestamp) files a record whose own time is missing. */
  public static ArchiveRow of(final ArchiveType type, final SpecificRecord record, final int partition, final long offset,
      final long fallbackTimeMs) {
    final ObjectNode row = RecordJson.toJson(record);
    row.put(AvroColumns.PARTITION, partition);
    row.put(AvroColumns.OFFSET, offset);
    final JsonNode time = row.get(type.timeField());
    try {
      return new ArchiveRow(RecordJson.mapper().writeValueAsString(row),
          time != null && time.canConvertToLong() ? time.asLong() : fallbackTimeMs);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render a " + type.table() + " row", e);
    }
  }
}
