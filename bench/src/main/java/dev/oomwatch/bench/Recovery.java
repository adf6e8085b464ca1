package dev.oomwatch.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

  /** Bytes of each store's RocksDB folders under an application's state folder, by store name. */
  static Map<String, Long> bytesByStore(final Path appState) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return walkStores(appState);
      } catch (java.io.UncheckedIOException e) {
        if (attempt == 3) {
          throw e.getCause();
        }
        // a segment RocksDB dropped while it was walked: walk again
      }
    }
  }

  private static Map<String, Long> walkStores(final Path appState) throws IOException {
    final Map<String, Long> out = new java.util.TreeMap<>();
    if (!Files.exists(appState)) {
      return out;
    }
    try (Stream<Path> files = Files.walk(appState)) {
      files.filter(Files::isRegularFile).forEach(f -> {
        final Path rel = appState.relativize(f);
        // <task>/rocksdb/<store>/... for a key-value store, <task>/<store>/<store>.<segment>/... for a window store
        final String store = rel.getNameCount() > 3 && rel.getName(1).toString().equals("rocksdb")
            ? rel.getName(2).toString() : rel.getNameCount() > 2 ? rel.getName(1).toString() : null;
        if (store != null) {
          try {
            out.merge(store, Files.size(f), Long::sum);
          } catch (IOException e) {
            // a file RocksDB just removed
          }
        }
      });
    }
    return out;
  }

  /** Bytes and records of each changelog topic of an application, by store name (leaders only). */
  static Map<String, long[]> changelogsByStore(final Admin admin, final String appId) throws Exception {
    return changelogsByStore(admin, appId, true);
  }

  /** As above; without {@code count}, the records are not read (and not counted). */
  static Map<String, long[]> changelogsByStore(final Admin admin, final String appId, final boolean count)
      throws Exception {
    final Map<String, long[]> out = new java.util.TreeMap<>();
    final Map<TopicPartition, Long> sizes = new java.util.HashMap<>();
    final var brokers = admin.describeCluster().nodes().get().stream().map(Node::id).toList();
    for (final Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions().get().values()) {
      for (final LogDirDescription d : dirs.values()) {
        d.replicaInfos().forEach((tp, info) -> {
          if (tp.topic().startsWith(appId + "-") && tp.topic().endsWith("-changelog")) {
            sizes.merge(tp, info.size(), Math::max);
          }
        });
      }
    }
    // records counted by reading them: offsets would count the transaction markers too, one per
    // partition and commit, as many as the roll-up's pages in a run of minutes
    final Map<TopicPartition, Long> records = count ? countRecords(admin, sizes.keySet()) : Map.of();
    sizes.forEach((tp, bytes) -> {
      final String store = tp.topic().substring(appId.length() + 1, tp.topic().length() - "-changelog".length());
      final long[] sum = out.computeIfAbsent(store, k -> new long[2]);
      sum[0] += bytes;
      sum[1] += records.getOrDefault(tp, 0L);
    });
    return out;
  }

  private static Map<TopicPartition, Long> countRecords(final Admin admin, final java.util.Set<TopicPartition> partitions)
      throws Exception {
    final Map<TopicPartition, Long> counts = new java.util.HashMap<>();
    try (var consumer = reader(admin, 10_000)) {
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      final java.util.Set<TopicPartition> open = new java.util.HashSet<>(partitions);
      while (!open.isEmpty()) {
        consumer.poll(java.time.Duration.ofMillis(200)).forEach(r ->
            counts.merge(new TopicPartition(r.topic(), r.partition()), 1L, Long::sum));
        open.removeIf(tp -> consumer.position(tp) >= ends.get(tp));
      }
    }
    return counts;
  }

  /**
   * Deletes the records of a changelog older than {@code cutMs}, as the broker's retention does
   * for a streams-app running in real time. A bench drains hours of samples in minutes, and the
   * transaction markers between them carry the broker's clock: every segment then looks minutes
   * old to the broker and nothing is deleted until that long has passed. Found by reading record
   * timestamps (the time index holds the markers' too); returns the records deleted.
   */
  static long trimBefore(final Admin admin, final String topic, final long cutMs) throws Exception {
    final Map<TopicPartition, org.apache.kafka.clients.admin.RecordsToDelete> cuts = new java.util.HashMap<>();
    long deleted = 0;
    try (var consumer = reader(admin, 1)) {
      final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      final Map<TopicPartition, Long> starts = consumer.beginningOffsets(partitions);
      final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      for (final TopicPartition tp : partitions) {
        long lo = starts.get(tp);
        long hi = ends.get(tp);
        while (lo < hi) { // the first offset whose record is at or after the cut
          final long mid = lo + (hi - lo) / 2;
          final Long ts = timestampAtOrAfter(consumer, tp, mid, ends.get(tp));
          if (ts == null || ts >= cutMs) {
            hi = mid;
          } else {
            lo = mid + 1;
          }
        }
        if (lo > starts.get(tp)) {
          cuts.put(tp, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(lo));
          deleted += lo - starts.get(tp);
        }
      }
    }
    if (!cuts.isEmpty()) {
      admin.deleteRecords(cuts).all().get();
    }
    return deleted;
  }

  /** A committed-records reader of the admin's cluster, assigned by hand, polling {@code maxPoll} at a time. */
  private static org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> reader(final Admin admin,
      final int maxPoll) throws Exception {
    final String servers = admin.describeCluster().nodes().get().stream().map(n -> n.host() + ":" + n.port())
        .collect(java.util.stream.Collectors.joining(","));
    final Map<String, Object> props = Map.of("bootstrap.servers", servers, "isolation.level", "read_committed",
        "enable.auto.commit", false, "max.poll.records", maxPoll);
    return new org.apache.kafka.clients.consumer.KafkaConsumer<>(props,
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer());
  }

  private static Long timestampAtOrAfter(final org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer,
      final TopicPartition tp, final long offset, final long end) {
    consumer.seek(tp, offset);
    final long deadline = System.currentTimeMillis() + 10_000;
    while (consumer.position(tp) < end && System.currentTimeMillis() < deadline) {
      final var records = consumer.poll(java.time.Duration.ofMillis(200)).records(tp);
      if (!records.isEmpty()) {
        return records.get(0).timestamp();
      }
    }
    return null;
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
