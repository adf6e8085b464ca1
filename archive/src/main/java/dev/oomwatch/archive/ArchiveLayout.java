package dev.oomwatch.archive;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where each file goes: {@code <root>/<table>/date=YYYY-MM-DD/hour=HH/part-<partition>-<first>-<last>.parquet}:
 * a folder per type as Hive keeps a table, partitioned Hive-style by date and hour (UTC) so Spark,
 * Trino, pandas and DuckDB read the partitions as columns and skip the hours a query excludes. The
 * file name holds the Kafka partition and the offsets of the roll that wrote it: with the committed
 * offsets, that tells which files a crash left behind uncommitted.
 */
public final class ArchiveLayout {
  private static final Pattern NAME = Pattern.compile("part-(\\d+)-(\\d+)-(\\d+)\\.parquet");

  private final Path root;

  public ArchiveLayout(final Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  public Path typeDir(final ArchiveType type) {
    return root.resolve(type.table());
  }

  /** The folder of the hour a record's own time falls in. */
  public Path dir(final ArchiveType type, final long epochMs) {
    final ZonedDateTime t = Instant.ofEpochMilli(epochMs).atZone(ZoneOffset.UTC);
    return typeDir(type).resolve(String.format("date=%04d-%02d-%02d", t.getYear(), t.getMonthValue(), t.getDayOfMonth()))
        .resolve(String.format("hour=%02d", t.getHour()));
  }

  public static String fileName(final int partition, final long first, final long last) {
    return "part-" + partition + "-" + first + "-" + last + ".parquet";
  }

  /** A file's partition and offsets; null for anything that is not one of ours. */
  public static Part parse(final Path file) {
    final Matcher m = NAME.matcher(file.getFileName().toString());
    return m.matches() ? new Part(file, Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)))
        : null;
  }

  public record Part(Path file, int partition, long first, long last) {}

  /** Every archive file of a type. */
  public List<Part> parts(final ArchiveType type) {
    final Path dir = typeDir(type);
    final List<Part> parts = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return parts;
    }
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) {
          final Part part = attrs.isRegularFile() ? parse(file) : null;
          if (part != null) {
            parts.add(part);
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(final Path file, final IOException e) throws IOException {
          // A running archiver renames and deletes its temporary files while a query lists the
          // folder: one gone between the listing and its look is simply not part of the answer.
          if (e instanceof NoSuchFileException) {
            return FileVisitResult.CONTINUE;
          }
          throw e;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    return parts;
  }

  /**
   * The next offset to archive of one Kafka partition, as the archive itself records it: written
   * (atomically) after a roll's files of that partition are in place, so it is the commit point
   * that travels with the files, whatever happened to the consumer group's offsets.
   */
  public OptionalLong progress(final String topic, final int partition) {
    final Path file = progressFile(topic, partition);
    try {
      return Files.exists(file) ? OptionalLong.of(Long.parseLong(Files.readString(file).trim())) : OptionalLong.empty();
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException("unreadable archive progress " + file + ": " + e.getMessage(), e);
    }
  }

  public void saveProgress(final String topic, final int partition, final long nextOffset) throws IOException {
    final Path file = progressFile(topic, partition);
    Files.createDirectories(file.getParent());
    final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, nextOffset + "\n");
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private Path progressFile(final String topic, final int partition) {
    return root.resolve("_progress").resolve(topic + "-" + partition);
  }

  /** Files being written when a process died: never part of the archive. */
  public List<Path> leftovers(final ArchiveType type) {
    final Path dir = typeDir(type);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }
}
