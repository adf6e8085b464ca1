package dev.oomwatch.sql;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oomwatch.wire.RecordJson;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** A query's result as an aligned table, CSV (RFC 4180) or JSON (one object a line). */
public enum ResultFormat {
  TABLE, CSV, JSON;

  public void print(final ResultSet rs, final PrintStream out) throws SQLException {
    final ResultSetMetaData meta = rs.getMetaData();
    final int n = meta.getColumnCount();
    final List<String> names = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      names.add(meta.getColumnLabel(i));
    }
    switch (this) {
      case CSV -> {
        out.println(String.join(",", names.stream().map(ResultFormat::csv).toList()));
        while (rs.next()) {
          final List<String> cells = new ArrayList<>();
          for (int i = 1; i <= n; i++) {
            final Object v = rs.getObject(i);
            cells.add(v == null ? "" : csv(String.valueOf(v)));
          }
          out.println(String.join(",", cells));
        }
      }
      case JSON -> {
        while (rs.next()) {
          final ObjectNode row = RecordJson.mapper().createObjectNode();
          for (int i = 1; i <= n; i++) {
            final Object v = rs.getObject(i);
            if (v == null) {
              row.putNull(names.get(i - 1));
            } else if (v instanceof Double || v instanceof Float) {
              row.put(names.get(i - 1), ((Number) v).doubleValue());
            } else if (v instanceof Number num && !(v instanceof BigDecimal)) {
              // not a conditional expression: it would widen every long to double
              row.put(names.get(i - 1), num.longValue());
            } else if (v instanceof BigDecimal d) {
              row.put(names.get(i - 1), d);
            } else if (v instanceof Boolean b) {
              row.put(names.get(i - 1), b);
            } else {
              row.put(names.get(i - 1), String.valueOf(v));
            }
          }
          out.println(row);
        }
      }
      case TABLE -> table(rs, names, out);
    }
    out.flush();
  }

  private static void table(final ResultSet rs, final List<String> names, final PrintStream out) throws SQLException {
    final int n = names.size();
    final List<String[]> rows = new ArrayList<>();
    final boolean[] numeric = new boolean[n];
    java.util.Arrays.fill(numeric, true);
    while (rs.next()) {
      final String[] row = new String[n];
      for (int i = 0; i < n; i++) {
        final Object v = rs.getObject(i + 1);
        row[i] = v == null ? "" : String.valueOf(v);
        if (v != null && !(v instanceof Number)) {
          numeric[i] = false;
        }
      }
      rows.add(row);
    }
    final int[] width = new int[n];
    for (int i = 0; i < n; i++) {
      width[i] = names.get(i).length();
      for (final String[] row : rows) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    out.println(line(names.toArray(String[]::new), width, new boolean[n]));
    final StringBuilder rule = new StringBuilder();
    for (int i = 0; i < n; i++) {
      rule.append(i == 0 ? "" : "  ").append("-".repeat(width[i]));
    }
    out.println(rule);
    for (final String[] row : rows) {
      out.println(line(row, width, numeric));
    }
    out.println("(" + rows.size() + (rows.size() == 1 ? " row)" : " rows)"));
  }

  private static String line(final String[] cells, final int[] width, final boolean[] right) {
    final StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      final String pad = " ".repeat(width[i] - cells[i].length());
      sb.append(i == 0 ? "" : "  ").append(right[i] ? pad + cells[i] : cells[i] + (i == cells.length - 1 ? "" : pad));
    }
    return sb.toString().stripTrailing();
  }

  private static String csv(final String value) {
    if (value.contains(",") || value.contains("\"") || value.contains("\n") || value.contains("\r")) {
      return "\"" + value.replace("\"", "\"\"") + "\"";
    }
    return value;
  }
}
