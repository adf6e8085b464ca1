package dev.oomwatch.archive;

import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.config.Settings;
import dev.oomwatch.metrics.MetricsConfig;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The archiver's settings. Keys: {@code archive.<name>}.
 *
 * @param dir the archive's root folder
 * @param rollInterval a file is closed at most this long after its first record: how stale the
 *     archive may be, and how many files an hour makes per partition
 * @param rollRecords ... or when this many records wait, whichever comes first (bounds memory)
 * @param groupId the consumer group; its committed offsets are the archive's progress
 */
public record ArchiveConfig(Path dir, Duration rollInterval, int rollRecords, String groupId, MetricsConfig metrics,
    KafkaSettings kafka) {

  public static ArchiveConfig from(final Settings s) {
    return new ArchiveConfig(
        Path.of(s.get("archive.dir", "data/archive")),
        s.getDuration("archive.roll.interval", Duration.ofMinutes(5)),
        s.getInt("archive.roll.records", 200_000),
        s.get("archive.group.id", "oomwatch-archive"),
        MetricsConfig.from(s, "archive", MetricsConfig.ARCHIVE_PORT),
        KafkaSettings.from(s));
  }
}
