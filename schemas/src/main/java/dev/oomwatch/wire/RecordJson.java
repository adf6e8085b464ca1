package dev.oomwatch.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.IndexedRecord;

/**
 * Avro record to plain JSON: the Avro field names with plain values, no union wrappers such as
 * {@code {"long": 5}}, so jq and people read it directly. Bytes become base64.
 */
public final class RecordJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private RecordJson() {}

  public static ObjectNode toJson(final IndexedRecord record) {
    final ObjectNode node = NODES.objectNode();
    for (final Schema.Field field : record.getSchema().getFields()) {
      node.set(field.name(), value(record.get(field.pos())));
    }
    return node;
  }

  public static String toJsonLine(final IndexedRecord record) {
    try {
      return MAPPER.writeValueAsString(toJson(record));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot render record as JSON", e);
    }
  }

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  private static JsonNode value(final Object value) {
    if (value == null) {
      return NODES.nullNode();
    }
    if (value instanceof GenericRecord || value instanceof IndexedRecord) {
      return toJson((IndexedRecord) value);
    }
    if (value instanceof Map<?, ?> map) {
      final ObjectNode node = NODES.objectNode();
      map.forEach((k, v) -> node.set(String.valueOf(k), value(v)));
      return node;
    }
    if (value instanceof Collection<?> items) {
      final ArrayNode array = NODES.arrayNode();
      items.forEach(item -> array.add(value(item)));
      return array;
    }
    if (value instanceof ByteBuffer buffer) {
      final ByteBuffer copy = buffer.duplicate();
      final byte[] bytes = new byte[copy.remaining()];
      copy.get(bytes);
      return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
    }
    if (value instanceof Long l) {
      return NODES.numberNode(l);
    }
    if (value instanceof Integer i) {
      return NODES.numberNode(i);
    }
    if (value instanceof Double d) {
      return d.isNaN() || d.isInfinite() ? NODES.textNode(d.toString()) : NODES.numberNode(d);
    }
    if (value instanceof Float f) {
      return NODES.numberNode(f);
    }
    if (value instanceof Boolean b) {
      return NODES.booleanNode(b);
    }
    if (value instanceof GenericContainer) {
      return NODES.textNode(value.toString());
    }
    return NODES.textNode(value.toString());
  }
}
