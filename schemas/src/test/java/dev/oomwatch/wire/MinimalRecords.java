package dev.oomwatch.wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/** Builds a valid generic record of any schema, with a recognisable value in every field. */
final class MinimalRecords {
  private MinimalRecords() {}

  static GenericRecord of(final Schema schema) {
    final GenericData.Record record = new GenericData.Record(schema);
    for (final Schema.Field field : schema.getFields()) {
      record.put(field.pos(), valueOf(field.schema(), field.name()));
    }
    return record;
  }

  private static Object valueOf(final Schema schema, final String name) {
    return switch (schema.getType()) {
      case STRING -> "v-" + name;
      case LONG -> 42L;
      case INT -> 7;
      case DOUBLE -> 1.5;
      case FLOAT -> 1.5f;
      case BOOLEAN -> true;
      case BYTES -> ByteBuffer.wrap(new byte[] {1, 2});
      case NULL -> null;
      case ENUM -> new GenericData.EnumSymbol(schema, schema.getEnumSymbols().get(0));
      case ARRAY -> new ArrayList<>();
      case MAP -> new HashMap<>();
      case RECORD -> of(schema);
      case UNION -> valueOf(schema.getTypes().get(schema.getTypes().size() - 1), name);
      default -> throw new IllegalArgumentException("unhandled " + schema.getType());
    };
  }
}
