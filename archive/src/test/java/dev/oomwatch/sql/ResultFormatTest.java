package dev.oomwatch.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class ResultFormatTest {
  private static final String QUERY = "SELECT * FROM (VALUES ('cache-01:6379', 42, 0.5, NULL), "
      + "('a \"quoted\", name', 7, 1.25, true)) t(instance, used_mb, share, forking)";

  @Test
  void tableAlignsNumbersRightAndCountsRows() throws Exception {
    assertThat(render(ResultFormat.TABLE)).isEqualTo("""
        instance          used_mb  share  forking
        ----------------  -------  -----  -------
        cache-01:6379          42   0.50
        a "quoted", name        7   1.25  true
        (2 rows)
        """);
  }

  @Test
  void csvQuotesWhatNeedsIt() throws Exception {
    assertThat(render(ResultFormat.CSV)).isEqualTo("""
        instance,used_mb,share,forking
        cache-01:6379,42,0.50,
        "a ""quoted"", name",7,1.25,true
        """);
  }

  @Test
  void jsonIsOneObjectALineWithTypedValues() throws Exception {
    assertThat(render(ResultFormat.JSON)).isEqualTo("""
        {"instance":"cache-01:6379","used_mb":42,"share":0.50,"forking":null}
        {"instance":"a \\"quoted\\", name","used_mb":7,"share":1.25,"forking":true}
        """);
  }

  private static String render(final ResultFormat format) throws Exception {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement s = db.createStatement();
         ResultSet rs = s.executeQuery(QUERY)) {
      format.print(rs, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
