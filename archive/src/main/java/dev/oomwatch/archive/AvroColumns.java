package dev.oomwatch.archive;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * The archive's columns, derived from the Avro schema so that every file of a type has the same
 * Parquet schema whatever its rows hold (a field null in every row of one file still has its type):
 * long BIGINT, int INTEGER, double DOUBLE, boolean BOOLEAN, string and enum VARCHAR, a record a
 * STRUCT, an array a LIST, a map a MAP(VARCHAR, ...); a nullable union is its non-null branch.
 * Two columns say where each row came from: {@code kafka_partition} and {@code kafka_offset}.
 */
public final class AvroColumns {
  public static final String PARTITION = "kafka_partition";
  public static final String OFFSET = "kafka_offset";

  private AvroColumns() {}

  /** {@code name -> SQL type} of every column, in order, for DuckDB's {@code read_json(columns=...)}. */
  public static List<String[]> columns(final Schema record) {
    final List<String[]> columns = new ArrayList<>();
    for (final Schema.Field f : record.getFields()) {
      columns.add(new String[] {f.name(), sqlType(f.schema())});
    }
    columns.add(new String[] {PARTITION, "INTEGER"});
    columns.add(new String[] {OFFSET, "BIGINT"});
    return columns;
  }

  /** DuckDB's struct literal {@code {'a': 'BIGINT', ...}} of the columns. */
  public static String columnsLiteral(final Schema record) {
    final StringBuilder sb = new StringBuilder("{");
    for (final String[] c : columns(record)) {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append('\'').append(c[0]).append("': '").append(c[1].replace("'", "''")).append('\'');
    }
    return sb.append('}').toString();
  }

  /** A query with the columns and no rows: what a view reads before the first file of its type exists. */
  public static String emptySelect(final Schema record) {
    final StringBuilder sb = new StringBuilder("SELECT ");
    boolean first = true;
    for (final String[] c : columns(record)) {
      sb.append(first ? "" : ", ").append("CAST(NULL AS ").append(c[1]).append(") AS \"").append(c[0]).append('"');
      first = false;
    }
    return sb.append(" WHERE false").toString();
  }

  static String sqlType(final Schema s) {
    return switch (s.getType()) {
      case UNION -> {
        final List<Schema> branches = s.getTypes().stream().filter(b -> b.getType() != Schema.Type.NULL).toList();
        yield branches.size() == 1 ? sqlType(branches.get(0)) : "JSON";
      }
      case RECORD -> {
        final StringBuilder sb = new StringBuilder("STRUCT(");
        boolean first = true;
        for (final Schema.Field f : s.getFields()) {
          sb.append(first ? "" : ", ").append('"').append(f.name()).append("\" ").append(sqlType(f.schema()));
          first = false;
        }
        yield sb.append(')').toString();
      }
      case ARRAY -> sqlType(s.getElementType()) + "[]";
      case MAP -> "MAP(VARCHAR, " + sqlType(s.getValueType()) + ")";
      case STRING, ENUM -> "VARCHAR";
      case LONG -> "BIGINT";
      case INT -> "INTEGER";
      case DOUBLE -> "DOUBLE";
      case FLOAT -> "FLOAT";
      case BOOLEAN -> "BOOLEAN";
      case BYTES, FIXED -> "VARCHAR"; // base64, as the JSON form of the record has it
      case NULL -> "VARCHAR";
    };
  }
}
