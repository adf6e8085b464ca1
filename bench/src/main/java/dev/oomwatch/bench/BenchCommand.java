package dev.oomwatch.bench;

import dev.oomwatch.broker.EmbeddedKafka;
import dev.oomwatch.config.Durations;
import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.config.Settings;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.history.HistoryStores;
import dev.oomwatch.streams.OomwatchTopology;
import dev.oomwatch.streams.StreamsAppConfig;
import dev.oomwatch.topics.Topic;
import dev.oomwatch.topics.TopicPlan;
import dev.oomwatch.topics.TopicProvisioner;
import dev.oomwatch.topics.TopicSpec;
import dev.oomwatch.wire.AvroSerde;
import dev.oomwatch.wire.Serdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The load generator and both measurements. Throughput: a backlog of the simulated fleet's records
 * is drained once by a pass-through topology and once by the real one (same data, same settings,
 * EOS and 100 ms commits), each timed from RUNNING to zero lag. Latency: the real topology at the
 * fleet's live rate, every alert's arrival at a consumer minus the produce time of its cause.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    header = "Benchmark the streams-app on a simulated fleet of hosts.",
    description = {"Benchmark the streams-app on a simulated fleet: sustained throughput against a pass-through",
        "on the same data, and end-to-end alert latency at a fixed rate. The last line is machine-readable."})
public final class BenchCommand implements Callable<Integer> {
  @Option(names = "--work-dir", paramLabel = "DIR",
      description = "Where the in-process broker and the topologies keep their data during the run (about 2 GB at the "
          + "defaults), in a new folder that is deleted at the end. Default: the system's temp folder.")
  Path workDir;

  @Option(names = "--hosts", defaultValue = "5000", description = "Simulated hosts. Default: ${DEFAULT-VALUE}.")
  int hosts;

  @Option(names = "--instances", defaultValue = "1", description = "Redis instances per host. Default: ${DEFAULT-VALUE}.")
  int instances;

  @Option(names = "--duration", defaultValue = "60s",
      description = "Seconds of load in the backlog, and length of the live run. Default: ${DEFAULT-VALUE}.")
  String durationText;
  private Duration duration;

  @Option(names = "--rate", paramLabel = "REC/S",
      description = "Fixed live load in records/s (sets the hosts). Default: the fleet at 1 Hz.")
  Integer rate;

  @Option(names = "--max", description = "Only find the highest sustained rate (the backlog drains); no live run.")
  boolean max;

  @Option(names = "--partitions", defaultValue = "4", description = "Partitions per topic. Default: ${DEFAULT-VALUE}.")
  int partitions;

  @Option(names = "--forks-per-hour", defaultValue = "6", description = "BGSAVEs per instance per hour. Default: ${DEFAULT-VALUE}.")
  double forksPerHour;

  @Option(names = "--kills-per-hour", defaultValue = "0.5", description = "OOM kills per instance per hour. Default: ${DEFAULT-VALUE}.")
  double killsPerHour;

  @Option(names = "--untuned-share", defaultValue = "0.25",
      description = "Share of hosts left at the defaults (overcommit 0, THP always, maxmemory unset, unlimited client "
          + "buffers): the findings they hold are judged on every record. Default: ${DEFAULT-VALUE}.")
  double untunedShare;

  @Option(names = "--threads", defaultValue = "1", description = "Stream threads of each topology. Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(names = "--warmup-rounds", defaultValue = "4",
      description = "At most this many unmeasured drains of both topologies first, stopping once the JIT "
          + "compiles less than a tenth of a core. Default: ${DEFAULT-VALUE}.")
  int warmupRounds;

  @Option(names = "--rounds", defaultValue = "3",
      description = "Measured drains of each topology, alternating; the median is reported. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "A streams-app setting for both topologies (e.g. streams.commit.interval=1s). Repeatable.")
  Map<String, String> extra = new HashMap<>();

  @Option(names = "--bootstrap", paramLabel = "HOST:PORT", description = "An existing broker (default: an in-process one).")
  String bootstrap;

  @Option(names = "--no-recovery", negatable = true, defaultValue = "true",
      description = "Measure the state the streams-app holds and how long a task takes to restore it after its "
          + "state folder is lost (default: on).")
  boolean recovery;

  @Option(names = "--state-duration", defaultValue = "25m",
      description = "Simulated time in the backlog the state and restore are measured on: longer than history.full "
          + "(15 min), so the full-resolution store has reached the size it keeps. Default: ${DEFAULT-VALUE}.")
  String stateDurationText;

  @Option(names = "--live-duration", paramLabel = "DURATION",
      description = "Length of the live run, when it differs from --duration; runs of ten minutes and more print "
          + "the state every minute. Default: --duration.")
  String liveDurationText;

  /** Long live runs say what the state holds each minute (a short one would only add noise to its latency). */
  private static boolean reportsState(final int seconds) {
    return seconds >= 600;
  }

  @Option(names = "--no-baseline", negatable = true, defaultValue = "true",
      description = "Also drain, measure and restore the topology with every snapshot at full resolution for the "
          + "retention (history.full = history.retention), on the same data, for comparison (default: on).")
  boolean baseline;

  /** The setting that keeps every snapshot at full resolution for the whole retention. */
  private Map<String, String> fullResolution() {
    return Map.of("history.full", extra.getOrDefault("history.retention", "24h"));
  }

  /** The live load is sent in this many slices a second, each host at its own phase. */
  private static final int SLICES = 20;

  private final String run = Long.toString(System.currentTimeMillis(), 36);

  @Override
  public Integer call() throws Exception {
    duration = Durations.parse(durationText);
    rounds = Math.max(1, rounds);
    if (rate != null) {
      hosts = Math.max(1, rate / (instances + 1));
    }
    final Path dir = workDir == null ? Files.createTempDirectory("oomwatch-bench")
        : Files.createTempDirectory(Files.createDirectories(workDir), "oomwatch-bench");
    final EmbeddedKafka broker = bootstrap == null ? EmbeddedKafka.start(dir.resolve("kafka"), EmbeddedKafka.freePort()) : null;
    final String servers = broker == null ? bootstrap : broker.bootstrapServers();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers))) {
      final int seconds = (int) Math.max(1, duration.toSeconds());
      final LoadModel model = new LoadModel(hosts, instances, forksPerHour, killsPerHour, untunedShare, 42);
      System.out.printf("bench: %,d hosts x %d instance(s), %d partitions, broker %s; %d cores, java %s%n",
          hosts, instances, partitions, broker == null ? servers : "in-process", Runtime.getRuntime().availableProcessors(),
          Runtime.version());

      // Sustained means a warm JVM: on two cores the JIT compiling the broker, the clients, Kafka
      // Streams and the app took 0.8 of a core for the whole first minute (measured per thread),
      // so a cold drain measures the compiler. Both topologies are drained unmeasured until it settles.
      final Backlog data = backlog(admin, servers, dir, "bench-" + run + "-backlog.", seconds);
      for (int round = 1; round <= warmupRounds; round++) {
        final Round warm = round(data, "warm" + round + "-");
        final double jit = Math.max(warm.pass().jitCores(), warm.real().jitCores());
        System.out.printf("warm-up %d: pass-through %,.0f rec/s, streams-app %,.0f rec/s, JIT %.2f cores%n",
            round, warm.pass().rate(), warm.real().rate(), jit);
        if (jit < 0.1) {
          break;
        }
      }
      // Even warm, two drains of the same data differ by a quarter (the JIT still recompiles, the
      // broker's and RocksDB's background work falls where it falls): the median of alternating rounds.
      final List<Drain> passes = new ArrayList<>();
      final List<Drain> reals = new ArrayList<>();
      final List<Drain> decodes = new ArrayList<>();
      final List<Drain> fulls = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        final Round measured = round(data, "r" + round + "-");
        passes.add(measured.pass());
        reals.add(measured.real());
        decodes.add(measured.decode());
        if (baseline) {
          fulls.add(drain(data, null, "r" + round + "-full", fullResolution()));
        }
      }
      final Drain pass = Drain.median(passes);
      final Drain real = Drain.median(reals);
      System.out.printf("pass-through: %,.0f rec/s (median of %s), %.2f cores (JIT %.2f), heap max %d MB%n",
          pass.rate(), Drain.rates(passes), pass.cores(), pass.jitCores(), pass.heapMb());
      System.out.printf("streams-app:  %,.0f rec/s (median of %s), %.2f cores (JIT %.2f), heap max %d MB%n",
          real.rate(), Drain.rates(reals), real.cores(), real.jitCores(), real.heapMb());
      if (baseline) {
        final Drain full = Drain.median(fulls);
        System.out.printf("streams-app with history.full=%s (every snapshot at full resolution for the retention): "
                + "%,.0f rec/s (median of %s), %.2f cores%n", fullResolution().get("history.full"), full.rate(),
            Drain.rates(fulls), full.cores());
      }
      final Drain decode = Drain.median(decodes);
      System.out.printf("decode only:  %,.0f rec/s (median of %s), %.2f cores: a topology that only decodes its "
          + "input (%.2f of the pass-through), the ceiling of any that reads its records%n",
          decode.rate(), Drain.rates(decodes), decode.cores(), decode.rate() / pass.rate());

      String stateLine = "";
      if (recovery) {
        final int stateSeconds = (int) Durations.parse(stateDurationText).toSeconds();
        final Backlog state = backlog(admin, servers, dir, "bench-" + run + "-state.", stateSeconds);
        final StateResult rolled = recovery(state, stateSeconds, "rolled-up history (as configured)", Map.of());
        stateLine = String.format(" state_kb_instance_day=%.0f restore_1250_hosts_day_s=%.1f",
            rolled.kbPerInstanceDay(), rolled.projectedRestoreSeconds(1_250));
        if (baseline) {
          final StateResult full = recovery(state, stateSeconds, "full-resolution history (history.full="
              + fullResolution().get("history.full") + ")", fullResolution());
          stateLine += String.format(" full_state_kb_instance_day=%.0f full_restore_1250_hosts_day_s=%.1f",
              full.kbPerInstanceDay(), full.projectedRestoreSeconds(1_250));
        }
        deleteTopics(admin, state.prefix());
      }

      double p50 = Double.NaN;
      double p99 = Double.NaN;
      // Live after the drains, on a warm JVM, as a long-running streams-app is: run first, on a cold
      // JIT, it measured p99 14 s (see BENCHMARKS.md).
      if (!max) {
        final int liveSeconds = liveDurationText == null ? seconds : (int) Durations.parse(liveDurationText).toSeconds();
        final Live live = live(admin, servers, dir, model, liveSeconds);
        p50 = live.percentile(50);
        p99 = live.percentile(99);
        System.out.printf("live: %,d rec/s offered, %,.0f rec/s produced for %d s, %.2f cores (JIT %.2f), heap max %d MB; "
                + "lag max %,d records, %,d at the end%n", model.recordsPerSecond(), live.producedRate, seconds,
            live.cores, live.jitCores, live.heapMb, live.maxLag, live.endLag);
        System.out.printf("alert latency (cause produced -> alert consumed): %d alerts, p50 %.0f ms, p99 %.0f ms, "
            + "max %.0f ms; kills: %d, p50 %.0f ms, p99 %.0f ms%n", live.all.size(), p50, p99, live.percentile(100),
            live.kills.size(), Live.percentile(live.kills, 50), Live.percentile(live.kills, 99));
      }
      System.out.printf("throughput=%.0f passthrough=%.0f ratio=%.2f p50_ms=%.0f p99_ms=%.0f%s%n",
          real.rate(), pass.rate(), real.rate() / pass.rate(), p50, p99, stateLine);
      return 0;
    } finally {
      if (broker != null) {
        broker.close();
      }
      deleteTree(dir);
    }
  }

  /** {@code seconds} of the fleet's load, ending now, on topics of their own. */
  private Backlog backlog(final Admin admin, final String servers, final Path dir, final String prefix,
      final int seconds) throws Exception {
    provision(admin, servers, prefix, true);
    final long t0 = System.currentTimeMillis() - seconds * 1000L;
    final LoadModel fleet = new LoadModel(hosts, instances, forksPerHour, killsPerHour, untunedShare, 42);
    long produced = 0;
    final Delivery delivery = new Delivery();
    try (KafkaProducer<String, byte[]> producer = producer(servers)) {
      for (int s = 0; s < seconds; s++) {
        produced += send(producer, prefix, fleet.second(t0 + s * 1000L).records(), delivery);
      }
      producer.flush();
    }
    delivery.check(produced);
    System.out.printf("backlog %s: %d s of load = %,d records%n", prefix, seconds, produced);
    return new Backlog(admin, servers, dir, prefix, inputs(prefix), produced, t0 + (seconds - 1) * 1000L);
  }

  private static void deleteTopics(final Admin admin, final String prefix) throws Exception {
    final List<String> topics = admin.listTopics().names().get().stream().filter(t -> t.startsWith(prefix)).toList();
    admin.deleteTopics(topics).all().get();
  }

  /** The run's broker log and state stores: 2 GB a run at the defaults, left behind by every run before. */
  private static void deleteTree(final Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      System.err.println("bench: could not delete " + dir + ": " + e.getMessage());
    }
  }

  record Drain(double rate, double seconds, double cores, double jitCores, long heapMb) {
    static Drain median(final List<Drain> drains) {
      final List<Drain> sorted = new ArrayList<>(drains);
      sorted.sort(Comparator.comparingDouble(Drain::rate));
      return sorted.get(sorted.size() / 2);
    }

    static String rates(final List<Drain> drains) {
      return drains.stream().map(d -> String.format("%,.0f", d.rate())).collect(Collectors.joining(", "));
    }
  }

  /** What every drain of one run shares: the broker, the backlog's topics and their size. */
  private record Backlog(Admin admin, String servers, Path dir, String prefix, List<TopicPartition> inputs, long records,
      long lastTimestampMs) {}

  /** One drain of each topology, in the same order every round. */
  private record Round(Drain pass, Drain real, Drain decode) {}

  private Round round(final Backlog b, final String name) throws Exception {
    return new Round(drain(b, passThrough(b.prefix()), name + "pass"), drain(b, null, name + "detect"),
        drain(b, DecodeOnly.topology(b.prefix()), name + "decode"));
  }

  /** What one state measurement found, per instance-day and for a restore. */
  record StateResult(double kbPerInstanceDay, double changelogBytesPerInstanceDay, double changelogRecordsPerInstanceDay,
      double measuredChangelogBytesPerTask, double measuredRecordsPerTask, double slowestTaskMs) {
    /**
     * A task's restore of a day at {@code hostsPerTask} hosts, scaled from the measured one by
     * bytes or records, whichever grows more (a restore pays for both; the fixed start-up cost
     * scaled with them makes this an upper bound).
     */
    double projectedRestoreSeconds(final int hostsPerTask) {
      return slowestTaskMs / 1000 * Math.max(bytesRatio(hostsPerTask), recordsRatio(hostsPerTask));
    }

    /** The same scaled by records alone: the lower bound when a restore is paid per record. */
    double projectedRestoreSecondsByRecords(final int hostsPerTask) {
      return slowestTaskMs / 1000 * recordsRatio(hostsPerTask);
    }

    private double bytesRatio(final int hostsPerTask) {
      return changelogBytesPerInstanceDay * hostsPerTask / measuredChangelogBytesPerTask;
    }

    private double recordsRatio(final int hostsPerTask) {
      return changelogRecordsPerInstanceDay * hostsPerTask / measuredRecordsPerTask;
    }
  }

  /**
   * The real topology over the state backlog, its state measured per store as it grows (the
   * full-resolution store and its changelog must level off at history.full) and at the end, projected
   * to an instance-day; then the state folder deleted and the restore from the changelogs timed per task.
   */
  private StateResult recovery(final Backlog b, final int seconds, final String label, final Map<String, String> more)
      throws Exception {
    final String appId = "bench-" + run + "-state" + (more.isEmpty() ? "" : "-full");
    final StreamsAppConfig config = config(b.servers(), b.dir(), b.prefix(), appId, more);
    final Properties props = config.streamsProperties();
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    final Path state = Path.of(config.stateDir(), appId);
    System.out.printf("state, %s: draining %d s of %,d instances%n", label, seconds, hosts * instances);
    try (KafkaStreams streams = new KafkaStreams(
        OomwatchTopology.build(config.kafka(), config.detection(), config.history()), props)) {
      streams.start();
      awaitRunning(streams);
      final Lag lag = new Lag(b.admin(), b.inputs());
      long left;
      long nextLook = System.currentTimeMillis() + 30_000;
      while ((left = lag.of(appId)) > 0) {
        Thread.sleep(100);
        if (System.currentTimeMillis() >= nextLook) {
          nextLook += 30_000;
          final Map<String, Long> disk = Recovery.bytesByStore(state);
          final Map<String, long[]> logs = Recovery.changelogsByStore(b.admin(), appId);
          System.out.printf("  at ~%.0f min of simulated time: %s on disk %,d KB, changelog %,d KB; all stores %,d MB "
                  + "on disk, %,d MB in changelogs%n", seconds / 60.0 * (b.records() - left) / b.records(),
              HistoryStores.TIMELINE, disk.getOrDefault(HistoryStores.TIMELINE, 0L) >> 10,
              logs.getOrDefault(HistoryStores.TIMELINE, new long[2])[0] >> 10,
              disk.values().stream().mapToLong(Long::longValue).sum() >> 20,
              logs.values().stream().mapToLong(v -> v[0]).sum() >> 20);
        }
      }
      // leaving the group, so the restore below is timed alone: a member that crashed instead holds
      // its partitions until its session times out (session.timeout.ms, 45 s by default) on top
      streams.close(new KafkaStreams.CloseOptions().leaveGroup(true));
    }
    // what the broker would have deleted by now had the samples come in real time
    final long keep = config.history().full().toMillis() + Math.max(60_000, config.history().full().toMillis() / 12);
    final long trimmed = Recovery.trimBefore(b.admin(), appId + "-" + HistoryStores.TIMELINE + "-changelog",
        b.lastTimestampMs() - keep);
    System.out.printf("  %,d records older than %d s trimmed from the %s changelog, as the broker's retention does in "
        + "real time%n", trimmed, keep / 1000, HistoryStores.TIMELINE);
    final Map<String, Long> disk = Recovery.bytesByStore(state);
    final Map<String, long[]> logs = Recovery.changelogsByStore(b.admin(), appId);
    final long[] timeline = logs.get(HistoryStores.TIMELINE);
    if (timeline != null && trimmed > 0) {
      // the broker frees the trimmed segments' files later: their share of the bytes is gone already
      timeline[0] = Math.round(timeline[0] * (double) timeline[1] / (timeline[1] + trimmed));
    }
    final List<StateProjection.Store> stores = new ArrayList<>();
    final java.util.Set<String> names = new java.util.TreeSet<>(disk.keySet());
    names.addAll(logs.keySet());
    for (final String name : names) {
      final long[] log = logs.getOrDefault(name, new long[2]);
      stores.add(new StateProjection.Store(name, disk.getOrDefault(name, 0L), log[0], log[1]));
    }
    final long count = (long) hosts * instances;
    final List<StateProjection.PerInstanceDay> day = StateProjection.project(stores, config.history(), count, seconds);
    System.out.printf("  %-16s %10s %12s %12s   per instance-day: %9s %12s %10s   scaled%n", "store", "disk KB",
        "changelog KB", "records", "disk KB", "changelog KB", "records");
    double diskDay = 0;
    double logDay = 0;
    double recordsDay = 0;
    for (int i = 0; i < stores.size(); i++) {
      final StateProjection.Store s = stores.get(i);
      final StateProjection.PerInstanceDay d = day.get(i);
      System.out.printf("  %-16s %,10d %,12d %,12d   %27.1f %12.1f %10.0f   %s%n", s.name(), s.diskBytes() >> 10,
          s.changelogBytes() >> 10, s.changelogRecords(), d.diskBytes() / 1024, d.changelogBytes() / 1024,
          d.changelogRecords(), d.scaledBy());
      diskDay += d.diskBytes();
      logDay += d.changelogBytes();
      recordsDay += d.changelogRecords();
    }
    System.out.printf("  per instance-day: %,.0f KB on disk, %,.0f KB of changelog (%,.0f records)%n", diskDay / 1024,
        logDay / 1024, recordsDay);
    final java.util.Set<String> quiet = java.util.Set.of(HistoryStores.TIMELINE, HistoryStores.TIMELINE_ROLLUP,
        OomwatchTopology.INSTANCES, OomwatchTopology.HOST_WINDOWS);
    System.out.printf("  of which a quiet instance's (no fork, kill or alert: %s): %,.0f KB on disk, %,.0f KB of changelog%n",
        String.join(", ", new java.util.TreeSet<>(quiet)),
        day.stream().filter(d -> quiet.contains(d.name())).mapToDouble(StateProjection.PerInstanceDay::diskBytes).sum() / 1024,
        day.stream().filter(d -> quiet.contains(d.name())).mapToDouble(StateProjection.PerInstanceDay::changelogBytes).sum()
            / 1024);
    final long changelogs = logs.values().stream().mapToLong(v -> v[0]).sum();
    final long records = logs.values().stream().mapToLong(v -> v[1]).sum();
    deleteTree(state); // the folder is lost: the next start restores everything from the changelogs
    final Recovery restore = new Recovery();
    final long t0 = System.nanoTime();
    try (KafkaStreams streams = new KafkaStreams(
        OomwatchTopology.build(config.kafka(), config.detection(), config.history()), props)) {
      streams.setGlobalStateRestoreListener(restore);
      streams.start();
      final long deadline = System.currentTimeMillis() + 1_200_000;
      while (!(restore.done() && streams.state() == KafkaStreams.State.RUNNING) && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      final double totalMs = (System.nanoTime() - t0) / 1e6;
      System.out.printf("  restore after the state folder is lost: %d tasks (%,d hosts each), %,d records, slowest task "
              + "%.0f ms, median task %.0f ms, all RUNNING after %.0f ms; a task restores %,.1f MB of changelog a second%n",
          restore.tasks(), hosts / Math.max(1, restore.tasks()), restore.recordsRestored(), restore.slowestTaskMs(),
          restore.medianTaskMs(), totalMs,
          changelogs / 1048576.0 / Math.max(1, restore.tasks()) / (restore.slowestTaskMs() / 1000));
      streams.close();
      streams.cleanUp();
    }
    final int tasks = Math.max(1, restore.tasks());
    final StateResult result = new StateResult(diskDay / 1024, logDay, recordsDay, (double) changelogs / tasks,
        (double) records / tasks, restore.slowestTaskMs());
    System.out.printf("  a task of 1,250 hosts restoring a day of this state, projected from the restore above: %.1f s "
            + "scaled by its records, %.1f s by the larger of records and bytes%n",
        result.projectedRestoreSecondsByRecords(1_250), result.projectedRestoreSeconds(1_250));
    deleteTopics(b.admin(), appId + "-");
    return result;
  }

  /** Runs one topology over the backlog from the start; timed from RUNNING until nothing is left to read. */
  private Drain drain(final Backlog b, final Topology custom, final String name) throws Exception {
    return drain(b, custom, name, Map.of());
  }

  private Drain drain(final Backlog b, final Topology custom, final String name, final Map<String, String> more)
      throws Exception {
    final Admin admin = b.admin();
    final String appId = "bench-" + run + "-" + name;
    final StreamsAppConfig config = config(b.servers(), b.dir(), b.prefix(), appId, more);
    final Topology topology = custom != null ? custom
        : OomwatchTopology.build(config.kafka(), config.detection(), config.history());
    final Properties props = config.streamsProperties();
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    final Drain result;
    try (KafkaStreams streams = new KafkaStreams(topology, props)) {
      streams.start();
      awaitRunning(streams);
      final Measured m = new Measured();
      final Lag lag = new Lag(admin, b.inputs());
      while (lag.of(appId) > 0) {
        m.sample();
        Thread.sleep(100);
      }
      final double seconds = m.seconds();
      result = new Drain(b.records() / seconds, seconds, m.cores(), m.jitCores(), m.maxHeapMb());
      streams.close();
      streams.cleanUp();
    }
    // A finished drain's changelogs would keep the broker's log cleaner busy compacting them
    // during the drains after it: gone, so every round meets the same broker.
    final List<String> internal = admin.listTopics().names().get().stream().filter(t -> t.startsWith(appId + "-")).toList();
    admin.deleteTopics(internal).all().get();
    return result;
  }

  private static final class Live {
    final List<Double> all = Collections.synchronizedList(new ArrayList<>());
    final List<Double> kills = Collections.synchronizedList(new ArrayList<>());
    double producedRate;
    double cores;
    double jitCores;
    long heapMb;
    long maxLag;
    long endLag;
    /** Where the alerts topic ended once every input record was processed: read to here, then stop. */
    volatile Map<TopicPartition, Long> alertsEnd;

    double percentile(final double p) {
      return percentile(all, p);
    }

    static double percentile(final List<Double> values, final double p) {
      final List<Double> sorted;
      synchronized (values) {
        sorted = new ArrayList<>(values);
      }
      if (sorted.isEmpty()) {
        return Double.NaN;
      }
      Collections.sort(sorted);
      return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p / 100.0 * sorted.size()) - 1 < 0 ? 0
          : Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
  }

  /** The real topology, live: records produced at the fleet's rate, each second's at its second. */
  private Live live(final Admin admin, final String servers, final Path dir, final LoadModel model, final int seconds)
      throws Exception {
    final String prefix = "bench-" + run + "-live.";
    provision(admin, servers, prefix, false);
    final String appId = "bench-" + run + "-live";
    final StreamsAppConfig config = config(servers, dir, prefix, appId);
    final Live live = new Live();
    final AtomicBoolean reading = new AtomicBoolean(true);
    final Thread consumer = new Thread(() -> consumeAlerts(servers, prefix, live, reading), "bench-alerts");
    try (KafkaStreams streams = new KafkaStreams(
        OomwatchTopology.build(config.kafka(), config.detection(), config.history()), config.streamsProperties())) {
      streams.start();
      awaitRunning(streams);
      consumer.start();
      final Lag lag = new Lag(admin, inputs(prefix));
      final Measured m = new Measured();
      long produced = 0;
      try (KafkaProducer<String, byte[]> producer = producer(servers)) {
        final long start = System.currentTimeMillis();
        for (int s = 0; s < seconds; s++) {
          for (int slice = 0; slice < SLICES; slice++) {
            final long due = start + s * 1000L + slice * (1000L / SLICES);
            Thread.sleep(Math.max(0, due - System.currentTimeMillis()));
            // records carry the time they are sent: the alert's eventTimeMs is its cause's
            produced += send(producer, prefix, model.slice(System.currentTimeMillis(), slice, SLICES).records(), null);
          }
          m.sample();
          if (s % 60 == 59 && reportsState(seconds)) {
            // what the stores and their changelogs hold as the run goes on: flat once past their retention
            final Map<String, Long> disk = Recovery.bytesByStore(Path.of(config.stateDir(), appId));
            final Map<String, long[]> logs = Recovery.changelogsByStore(admin, appId, false);
            System.out.printf("live at %d min: %s %,d KB on disk, %,d KB of changelog; all stores %,d KB on disk, "
                    + "%,d KB of changelog%n", (s + 1) / 60, HistoryStores.TIMELINE,
                disk.getOrDefault(HistoryStores.TIMELINE, 0L) >> 10,
                logs.getOrDefault(HistoryStores.TIMELINE, new long[2])[0] >> 10,
                disk.values().stream().mapToLong(Long::longValue).sum() >> 10,
                logs.values().stream().mapToLong(v -> v[0]).sum() >> 10);
          }
          if (s % 5 == 4) {
            live.maxLag = Math.max(live.maxLag, lag.of(appId));
          }
        }
        producer.flush();
        live.producedRate = produced / m.seconds();
      }
      live.cores = m.cores();
      live.jitCores = m.jitCores();
      live.heapMb = m.maxHeapMb();
      live.endLag = lag.of(appId);
      // the last alerts of the run: every record processed, then the alerts read to their end then
      final long drainBy = System.currentTimeMillis() + 300_000;
      while (lag.of(appId) > 0 && System.currentTimeMillis() < drainBy) {
        Thread.sleep(100);
      }
      live.alertsEnd = alertsEnd(admin, prefix);
    } finally {
      reading.set(false);
      consumer.join(120_000);
    }
    return live;
  }

  private static void consumeAlerts(final String servers, final String prefix, final Live live, final AtomicBoolean reading) {
    final Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", servers);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-alerts-" + prefix);
    final AvroSerde<Alert> serde = Serdes.alert();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topic.ALERTS.fullName(prefix)));
      final long[] stopBy = {Long.MAX_VALUE};
      while (reading.get() || !readTo(consumer, live.alertsEnd) && System.currentTimeMillis() < stopBy[0]) {
        if (!reading.get() && stopBy[0] == Long.MAX_VALUE) {
          stopBy[0] = System.currentTimeMillis() + 60_000; // an end never reached ends the read, not the run
        }
        for (final ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
          final long now = System.currentTimeMillis();
          final Alert alert = serde.decode(r.topic(), r.value());
          if (alert.getStatus() == AlertStatus.FIRING) {
            final double latency = now - alert.getEventTimeMs();
            live.all.add(latency);
            if (alert.getType() == AlertType.KERNEL_OOM_KILL) {
              live.kills.add(latency);
            }
          }
        }
      }
    }
  }

  /** The alerts topic's end offsets (committed transactions only). */
  private static Map<TopicPartition, Long> alertsEnd(final Admin admin, final String prefix) throws Exception {
    final String topic = Topic.ALERTS.fullName(prefix);
    final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
        .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
    final Map<TopicPartition, Long> ends = new HashMap<>();
    admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get()
        .forEach((tp, info) -> ends.put(tp, info.offset()));
    return ends;
  }

  /** Whether the consumer has read every partition of {@code ends} to its offset there (false: no ends yet). */
  private static boolean readTo(final KafkaConsumer<?, ?> consumer, final Map<TopicPartition, Long> ends) {
    return ends != null && ends.entrySet().stream().allMatch(e -> e.getValue() == 0
        || consumer.assignment().contains(e.getKey()) && consumer.position(e.getKey()) >= e.getValue());
  }

  /** Reads the three input topics and writes every record to one output, with the app's settings. */
  private static Topology passThrough(final String prefix) {
    final Topology t = new Topology();
    t.addSource("in", new ByteArrayDeserializer(), new ByteArrayDeserializer(),
        Topic.REDIS_SAMPLES.fullName(prefix), Topic.HOST_SAMPLES.fullName(prefix), Topic.KERNEL_EVENTS.fullName(prefix));
    t.addSink("out", prefix + "passthrough", new ByteArraySerializer(), new ByteArraySerializer(), "in");
    return t;
  }

  /** Decodes every record as the app does and keeps nothing: Kafka Streams plus Avro, no detection, no state. */
  private static final class DecodeOnly implements Processor<String, byte[], Void, Void> {
    private final String prefix;
    private ProcessorContext<Void, Void> context;

    private DecodeOnly(final String prefix) {
      this.prefix = prefix;
    }

    static Topology topology(final String prefix) {
      final Topology t = new Topology();
      t.addSource("in", new StringDeserializer(), new ByteArrayDeserializer(),
          Topic.REDIS_SAMPLES.fullName(prefix), Topic.HOST_SAMPLES.fullName(prefix), Topic.KERNEL_EVENTS.fullName(prefix));
      t.addProcessor("decode", () -> new DecodeOnly(prefix), "in");
      return t;
    }

    @Override
    public void init(final ProcessorContext<Void, Void> context) {
      this.context = context;
    }

    @Override
    public void process(final Record<String, byte[]> record) {
      final String topic = context.recordMetadata().map(RecordMetadata::topic).orElseThrow();
      Serdes.forTopic(Topic.byName(topic, prefix).orElseThrow()).decode(topic, record.value());
    }
  }

  private StreamsAppConfig config(final String servers, final Path dir, final String prefix, final String appId) {
    return config(servers, dir, prefix, appId, Map.of());
  }

  private StreamsAppConfig config(final String servers, final Path dir, final String prefix, final String appId,
      final Map<String, String> more) {
    final Map<String, String> values = new HashMap<>();
    values.put(KafkaSettings.BOOTSTRAP, servers);
    values.put(KafkaSettings.TOPIC_PREFIX, prefix);
    values.put("streams.application.id", appId);
    values.put("streams.state.dir", dir.resolve("state").toString());
    values.put("http.enabled", "false");
    values.put("streams.threads", String.valueOf(threads));
    values.putAll(extra);
    values.putAll(more);
    values.put(TopicPlan.PARTITIONS, String.valueOf(partitions));
    return StreamsAppConfig.from(Settings.of(values));
  }

  private void provision(final Admin admin, final String servers, final String prefix, final boolean passthrough)
      throws Exception {
    final Map<String, String> values = Map.of(KafkaSettings.BOOTSTRAP, servers, KafkaSettings.TOPIC_PREFIX, prefix,
        TopicPlan.PARTITIONS, String.valueOf(partitions));
    final List<TopicSpec> plan = TopicPlan.from(Settings.of(values));
    TopicProvisioner.ensure(admin, plan);
    if (passthrough) {
      admin.createTopics(List.of(new NewTopic(prefix + "passthrough", partitions, (short) 1))).all().get();
    }
  }

  private List<TopicPartition> inputs(final String prefix) {
    final List<TopicPartition> inputs = new ArrayList<>();
    for (final Topic t : List.of(Topic.REDIS_SAMPLES, Topic.HOST_SAMPLES, Topic.KERNEL_EVENTS)) {
      for (int p = 0; p < partitions; p++) {
        inputs.add(new TopicPartition(t.fullName(prefix), p));
      }
    }
    return inputs;
  }

  private static KafkaProducer<String, byte[]> producer(final String servers) {
    final Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", servers);
    // as the collectors publish: idempotent, acks=all, lz4
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
    // One request in flight per broker: the backlog goes to topics created a moment before, and a
    // first request refused while the broker opens the partition (NOT_LEADER_OR_FOLLOWER) would
    // otherwise be overtaken by the next, then refused as out of order until it expired (KAFKA-15591;
    // seen here as two minutes of retries and a backlog short of its first batch).
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  /** Sends the records to their topics; {@code delivery} (may be null) learns of each send's outcome. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int send(final KafkaProducer<String, byte[]> producer, final String prefix,
      final List<SpecificRecord> records, final Callback delivery) {
    for (final SpecificRecord r : records) {
      final Topic topic = r instanceof dev.oomwatch.schema.RedisSample ? Topic.REDIS_SAMPLES
          : r instanceof dev.oomwatch.schema.HostSample ? Topic.HOST_SAMPLES : Topic.KERNEL_EVENTS;
      final byte[] bytes = ((AvroSerde) Serdes.forTopic(topic)).encode(r);
      final String host = String.valueOf(r.get(r.getSchema().getField("host").pos()));
      final long ts = (Long) r.get(r.getSchema().getField("timestampMs").pos());
      producer.send(new ProducerRecord<>(topic.fullName(prefix), null, ts, host, bytes), delivery);
    }
    return records.size();
  }

  /** Counts the backlog's failed sends: a backlog short of records would be measured as if whole. */
  private static final class Delivery implements Callback {
    private final AtomicLong failed = new AtomicLong();
    private volatile Exception first;

    @Override
    public void onCompletion(final org.apache.kafka.clients.producer.RecordMetadata metadata, final Exception e) {
      if (e != null && failed.getAndIncrement() == 0) {
        first = e;
      }
    }

    void check(final long produced) {
      if (failed.get() > 0) {
        throw new IllegalStateException(String.format("the backlog is short: %,d of %,d records were not delivered (%s)",
            failed.get(), produced, first));
      }
    }
  }

  private static void awaitRunning(final KafkaStreams streams) throws InterruptedException {
    final long deadline = System.currentTimeMillis() + 120_000;
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (System.currentTimeMillis() > deadline || streams.state() == KafkaStreams.State.ERROR) {
        throw new IllegalStateException("the topology did not reach RUNNING: " + streams.state());
      }
      Thread.sleep(50);
    }
  }

  public static void main(final String[] args) {
    System.exit(new picocli.CommandLine(new BenchCommand()).execute(args));
  }
}
