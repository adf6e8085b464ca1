package dev.oomwatch.cli;

import dev.oomwatch.alertmanager.AlertmanagerBridge;
import dev.oomwatch.alertmanager.AlertmanagerConfig;
import dev.oomwatch.archive.ArchiveConfig;
import dev.oomwatch.archive.Archiver;
import dev.oomwatch.broker.EmbeddedKafka;
import dev.oomwatch.broker.KafkaCluster;
import dev.oomwatch.collector.Collector;
import dev.oomwatch.collector.CollectorConfig;
import dev.oomwatch.config.ConfigOptions;
import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.config.Settings;
import dev.oomwatch.console.AlertLine;
import dev.oomwatch.console.TopicPrinter;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.streams.StreamsApp;
import dev.oomwatch.streams.StreamsAppConfig;
import dev.oomwatch.topics.Topic;
import dev.oomwatch.topics.TopicPlan;
import dev.oomwatch.wire.RecordJson;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "local", mixinStandardHelpOptions = true,
    header = "Run everything on this machine: broker, streams-app, collector; print alerts.",
    description = {
        "Run everything on this machine: a real Kafka broker (KRaft, in-process, data in --data),",
        "the streams-app, and a collector for this host; alerts are printed as they fire.",
        "Without --redis it watches every redis-server and valkey-server on this machine, in containers too."})
public final class LocalCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(LocalCommand.class);

  @Mixin ConfigOptions config;

  @Option(names = "--redis", paramLabel = "URI",
      description = "A Redis to watch, e.g. redis://127.0.0.1:6379 or rediss://user:pass@host:6380#name. Repeatable. "
          + "Without it, the Redis servers on this machine are found and watched (redis.discover).")
  List<String> redis = new ArrayList<>();

  @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
      description = "Folder for the broker's data (kafka/) and the streams-app's state. Default: ${DEFAULT-VALUE}.")
  Path data;

  @Option(names = "--port", defaultValue = "9092", description = "Broker port. Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--brokers", defaultValue = "1", paramLabel = "N",
      description = "Kafka nodes to run: 1 in this process (default), or 3 and more, each in a JVM of its own, "
          + "with topics of three replicas, two in sync (broker ports --port, --port+1, ...).")
  int brokers;

  @Option(names = "--json", description = "Print alerts as one JSON object a line.")
  boolean json;

  @Option(names = "--alertmanager", paramLabel = "URL",
      description = "Also send the alerts to this Alertmanager (e.g. http://127.0.0.1:9093). Repeatable (an HA cluster).")
  List<String> alertmanagers = new ArrayList<>();

  @Option(names = "--no-archive", description = "Do not keep the Parquet archive (in --data/archive; query it with `sql`).")
  boolean noArchive;

  @Override
  public Integer call() throws Exception {
    // alerts are printed below, one line each: the streams-app's log line of each would double them
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(StreamsApp.ALERT_LOGGER))
        .setLevel(ch.qos.logback.classic.Level.OFF);
    final Deque<AutoCloseable> running = new ArrayDeque<>();
    final CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      closeAll(running);
    }, "oomwatch-shutdown"));

    final String bootstrap;
    if (brokers > 1) {
      final KafkaCluster cluster = KafkaCluster.start(data.resolve("kafka-cluster"), brokers, port);
      running.push(cluster);
      bootstrap = cluster.bootstrapServers();
    } else {
      final EmbeddedKafka kafka = EmbeddedKafka.start(data.resolve("kafka"), port);
      running.push(kafka);
      bootstrap = kafka.bootstrapServers();
    }
    final Map<String, String> flags = new LinkedHashMap<>();
    flags.put(KafkaSettings.BOOTSTRAP, bootstrap);
    if (!redis.isEmpty()) {
      flags.put(CollectorConfig.REDIS_URIS, String.join(",", redis));
    }
    flags.putIfAbsent(StreamsAppConfig.STATE_DIR, data.resolve("streams").toString());
    flags.putIfAbsent("archive.dir", data.resolve("archive").toString());
    final Settings loaded = config.load(flags);
    // One broker, one machine: one partition per topic unless told otherwise.
    final Settings settings = loaded.with(Map.of(TopicPlan.PARTITIONS, loaded.get(TopicPlan.PARTITIONS, "1")));
    final KafkaSettings kafkaSettings = KafkaSettings.from(settings);

    final StreamsApp streams = StreamsApp.start(StreamsAppConfig.from(settings));
    running.push(streams);
    final Collector collector = Collector.start(CollectorConfig.from(settings));
    running.push(collector);
    if (!noArchive) {
      running.push(Archiver.start(ArchiveConfig.from(settings)));
    }
    if (!alertmanagers.isEmpty()) {
      final Map<String, String> am = new LinkedHashMap<>();
      am.put(AlertmanagerConfig.URLS, String.join(",", alertmanagers));
      streams.http().ifPresent(h -> am.putIfAbsent(AlertmanagerConfig.PAGE_URL, h.url()));
      running.push(AlertmanagerBridge.start(AlertmanagerConfig.from(settings.with(am))));
    }
    LOG.info("oomwatch is running: broker {}, watching {}; timeline page {}; archive {}. Ctrl-C stops it.",
        bootstrap, redis.isEmpty() ? "every Redis server found on this machine" : redis.size() + " Redis instance(s)",
        streams.http().map(h -> h.url()).orElse("off"), noArchive ? "off" : data.resolve("archive"));

    final Thread printer = new Thread(() -> TopicPrinter.print(kafkaSettings, Topic.ALERTS, false, 0, null,
        record -> json ? RecordJson.toJsonLine(record) : AlertLine.format((Alert) record), System.out),
        "alert-printer");
    printer.setDaemon(true);
    printer.start();
    stop.await();
    return 0;
  }

  /**
   * Stops what runs in the reverse of its start: the clients first, each while the brokers it
   * commits to still run, the brokers last (a multi-node cluster's nodes wait for this: see
   * {@link KafkaCluster#close()}).
   */
  private static void closeAll(final Deque<AutoCloseable> running) {
    while (!running.isEmpty()) {
      final AutoCloseable next = running.pop();
      try {
        next.close();
        LOG.info("stopped {}", next.getClass().getSimpleName());
      } catch (Exception e) {
        LOG.warn("while stopping {}: {}", next.getClass().getSimpleName(), e.getMessage());
      }
    }
  }
}
