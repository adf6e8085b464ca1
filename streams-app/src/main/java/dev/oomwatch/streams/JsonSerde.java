package dev.oomwatch.streams;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.smile.SmileFactory;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde for the streams-app's own state (never on a public topic): Jackson's Smile, binary JSON,
 * because state is read and written on every record. Reads plain JSON too (state written before
 * Smile, which starts with '{' where Smile starts with ":)"). Unknown fields are ignored so a newer
 * app restores state an older one wrote.
 */
public final class JsonSerde<T> implements Serde<T> {
  private static final ObjectMapper MAPPER = new ObjectMapper(new SmileFactory())
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final ObjectMapper TEXT = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final Class<T> type;

  public JsonSerde(final Class<T> type) {
    this.type = type;
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, value) -> {
      try {
        return value == null ? null : MAPPER.writeValueAsBytes(value);
      } catch (IOException e) {
        throw new SerializationException("cannot write " + type.getSimpleName() + " state: " + e.getMessage(), e);
      }
    };
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, bytes) -> {
      try {
        if (bytes == null) {
          return null;
        }
        return (bytes.length > 0 && bytes[0] == '{' ? TEXT : MAPPER).readValue(bytes, type);
      } catch (IOException e) {
        throw new SerializationException("cannot read " + type.getSimpleName() + " state from " + topic + ": "
            + e.getMessage(), e);
      }
    };
  }
}
