package dev.oomwatch.collector;

import dev.oomwatch.config.ConfigOptions;
import dev.oomwatch.config.Settings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "collector", mixinStandardHelpOptions = true,
    header = "Run the per-host collector: samples Redis and the kernel, publishes to Kafka.",
    description = {"Run the per-host collector against any Kafka cluster: samples every Redis given",
        "(--redis or redis.uris) and the kernel's view of memory, and publishes them."})
public final class CollectorCommand implements Callable<Integer> {
  static final String LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";

  static {
    // Before the first logger: slf4j-simple reads its level once. OOMWATCH_LOG_LEVEL then works
    // however the collector is started (the container's entrypoint, a unit file), not only
    // through bin/oomwatch, which passes the property itself.
    final String level = logLevel(System.getenv("OOMWATCH_LOG_LEVEL"), System.getProperty(LEVEL_PROPERTY));
    if (level != null) {
      System.setProperty(LEVEL_PROPERTY, level);
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(CollectorCommand.class);

  @Mixin ConfigOptions config;

  @Option(names = "--redis", paramLabel = "URI", description = "A Redis to watch (redis:// or rediss://, #name to name it). Repeatable.")
  List<String> redis = new java.util.ArrayList<>();

  @Option(names = "--host-id", paramLabel = "ID", description = "This host's id, the record key (default: the hostname).")
  String hostId;

  @Override
  public Integer call() throws Exception {
    final Map<String, String> flags = new LinkedHashMap<>();
    if (!redis.isEmpty()) {
      flags.put(CollectorConfig.REDIS_URIS, String.join(",", redis));
    }
    if (hostId != null) {
      flags.put(CollectorConfig.HOST, hostId);
    }
    final Settings settings = config.load(flags);
    LOG.info("settings: {}", redactedUris(settings));
    sayPrivileges();
    final CountDownLatch stop = new CountDownLatch(1);
    final CollectorConfig collectorConfig = CollectorConfig.from(settings);
    try {
      // refused credentials are a setting to fix, said at once; a broker away is ridden out with the buffer
      dev.oomwatch.config.KafkaAccess.verify(collectorConfig.kafka(), java.time.Duration.ofSeconds(15));
    } catch (org.apache.kafka.common.errors.AuthenticationException e) {
      LOG.error(dev.oomwatch.config.KafkaAccess.explain(e));
      return dev.oomwatch.config.KafkaAccess.EXIT_REFUSED;
    }
    final Collector collector = Collector.start(collectorConfig);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      collector.close();
      stop.countDown();
    }, "collector-shutdown"));
    stop.await();
    return 0;
  }

  private static void sayPrivileges() {
    try {
      final ProcessPrivileges p = ProcessPrivileges.ofSelf();
      if (p.writesFilesItDoesNotOwn()) {
        LOG.warn("running as uid {} with capabilities {}: a compromised collector could write the node's files "
            + "(bin/oomwatch started as root runs it as OOMWATCH_COLLECTOR_USER, default 65534, with only "
            + "dac_read_search, sys_ptrace and syslog)", p.uid(), p.capabilities());
      } else {
        LOG.info("running as uid {} with capabilities {}", p.uid(), p.capabilities());
      }
    } catch (java.io.IOException | RuntimeException e) {
      LOG.warn("cannot read this process's privileges from /proc/self/status: {}", e.toString());
    }
  }

  private static Map<String, String> redactedUris(final Settings settings) {
    final Map<String, String> shown = new LinkedHashMap<>(settings.redacted());
    shown.computeIfPresent(CollectorConfig.REDIS_URIS, (k, v) -> v.replaceAll("//[^@/,]*@", "//***@"));
    return shown;
  }

  /** The level to set from the environment: none when it is unset or the property already says one. */
  static String logLevel(final String env, final String property) {
    if (env == null || env.isBlank() || property != null) {
      return null;
    }
    return env.trim().toLowerCase(java.util.Locale.ROOT);
  }

  public static void main(final String[] args) {
    System.exit(new CommandLine(new CollectorCommand()).execute(args));
  }
}
