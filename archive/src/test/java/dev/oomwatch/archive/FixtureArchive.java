package dev.oomwatch.archive;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/** Writes records into an archive folder as the archiver would, without a broker: offsets are their order. */
final class FixtureArchive {
  private FixtureArchive() {}

  static void write(final Path root, final ArchiveType type, final List<? extends SpecificRecord> records) throws Exception {
    final ArchiveLayout layout = new ArchiveLayout(root);
    final Map<Path, List<String>> byDir = new LinkedHashMap<>();
    long offset = 0;
    for (final SpecificRecord r : records) {
      final ArchiveRow row = ArchiveRow.of(type, r, 0, offset++, 0);
      byDir.computeIfAbsent(layout.dir(type, row.timeMs()), d -> new ArrayList<>()).add(row.json());
    }
    try (ParquetFiles files = new ParquetFiles()) {
      for (final Map.Entry<Path, List<String>> e : byDir.entrySet()) {
        files.write(type, e.getValue(), e.getKey().resolve(ArchiveLayout.fileName(0, 0, offset - 1)));
      }
    }
  }
}
