package dev.oomwatch.wire;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Every released version of a record's schema, kept as
 * {@code dev/oomwatch/schema/history/<Record>.v<N>.avsc}. Decoders register all of them so a
 * record written by an old collector stays readable by a newer streams-app.
 */
public final class SchemaHistory {
  private static final String ROOT = "/dev/oomwatch/schema/history/";

  private SchemaHistory() {}

  /** Released versions of the named record, oldest first (v1, v2, ...). */
  public static List<Schema> released(final String recordName) {
    final List<Schema> versions = new ArrayList<>();
    for (int version = 1; ; version++) {
      final String resource = ROOT + recordName + ".v" + version + ".avsc";
      try (InputStream in = SchemaHistory.class.getResourceAsStream(resource)) {
        if (in == null) {
          return versions;
        }
        versions.add(new Schema.Parser().parse(in));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read released schema " + resource, e);
      }
    }
  }
}
