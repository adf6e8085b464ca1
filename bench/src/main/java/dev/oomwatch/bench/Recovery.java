package dev.oomwatch.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * What recovering a streams-app costs: the state a topology holds (its state folder on disk and
 * its changelog topics on the brokers) and, after the folder is lost, how long each task takes to
 * restore its stores from the changelogs. Restores are timed per task (a partition of the input),
 * from its first store's start to its last store's end, by Kafka Streams' own restore callbacks.
 */
final class Recovery implements StateRestoreListener {
  private final Map<Integer, long[]> spans = new ConcurrentHashMap<>();
  private final Map<Integer, Long> records = new ConcurrentHashMap<>();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger started = new AtomicInteger();

  @Override
  public void onRestoreStart(final TopicPartition tp, final String store, final long start, final long end) {
    started.incrementAndGet();
    running.incrementAndGet();
    spans.compute(tp.partition(), (p, s) -> s == null ? new long[] {System.nanoTime(), 0} : s);
  }

  @Override
  public void onBatchRestored(final TopicPartition tp, final String store, final long end, final long count) {
    records.merge(tp.partition(), count, Long::sum);
  }

  @Override
  public void onRestoreEnd(final TopicPartition tp, final String store, final long total) {
    spans.computeIfPresent(tp.partition(), (p, s) -> new long[] {s[0], System.nanoTime()});
    running.decrementAndGet();
  }

  boolean done() {
    return started.get() > 0 && running.get() == 0;
  }

  /** The longest a task took, from its first store's start to its last store's end, in ms. */
  double slowestTaskMs() {
    return spans.values().stream().mapToDouble(s -> (s[1] - s[0]) / 1e6).max().orElse(Double.NaN);
  }

  double medianTaskMs() {
    final double[] ms = spans.values().stream().mapToDouble(s -> (s[1] - s[0]) / 1e6).sorted().toArray();
    return ms.length == 0 ? Double.NaN : ms[ms.length / 2];
  }

  int tasks() {
    return spans.size();
  }

  long recordsRestored() {
    return records.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Bytes of the files under a folder. */
  static long bytesUnder(final Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> {
        try {
          return Files.size(f);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    }
  }

  /** Bytes of the changelog topics of an application on the brokers' disks (leaders and followers). */
  static long changelogBytes(final Admin admin, final String appId) throws Exception {
    long total = 0;
    final var brokers = admin.describeCluster().nodes().get().stream().map(Node::id).toList();
    for (final Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions().get().values()) {
      for (final LogDirDescription d : dirs.values()) {
        for (final var replica : d.replicaInfos().entrySet()) {
          final String topic = replica.getKey().topic();
          if (topic.startsWith(appId + "-") && topic.endsWith("-changelog")) {
            total += replica.getValue().size();
          }
        }
      }
    }
    return total;
  }
}
