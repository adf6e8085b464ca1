package dev.oomwatch.collector;

import dev.oomwatch.collector.discover.DiscoveryConfig;
import dev.oomwatch.collector.kernel.KernelConfig;
import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.metrics.MetricsConfig;
import dev.oomwatch.config.Settings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;

/**
 * Every setting of the collector, typed, with its default and where the number comes from.
 * Keys are read from {@link Settings} (file, OOMWATCH_* environment, flags).
 */
public record CollectorConfig(
    String host,
    List<String> redisUris,
    Duration interval,
    Duration forkInterval,
    Duration redisTimeout,
    java.nio.file.Path redisTlsCa,
    Duration configRefresh,
    boolean readConfig,
    int topClients,
    long clientListMaxClients,
    Duration clientListSlowInterval,
    long clientListSkipAbove,
    long redisReplyMaxBytes,
    int bufferRecords,
    Duration publishGather,
    KernelConfig kernel,
    DiscoveryConfig discovery,
    dev.oomwatch.collector.guard.GuardConfig guard,
    MetricsConfig metrics,
    KafkaSettings kafka,
    Settings settings) {

  public static final String HOST = "host.id";
  /** The cluster this collector's host belongs to, in every record it publishes: one Kafka, many clusters. */
  public static final String CLUSTER = "cluster.id";
  public static final String REDIS_URIS = "redis.uris";
  public static final String INTERVAL = "sample.interval";
  public static final String FORK_INTERVAL = "sample.fork.interval";
  public static final String REDIS_TIMEOUT = "redis.timeout";
  /** PEM certificates to trust for rediss:// servers (a private CA); the JDK's trust store otherwise. */
  public static final String REDIS_TLS_CA = "redis.tls.ca.file";
  public static final String CONFIG_REFRESH = "redis.config.refresh";
  public static final String TOP_CLIENTS = "redis.top.clients";
  public static final String CLIENT_LIST_MAX_CLIENTS = "redis.client.list.max.clients";
  public static final String CLIENT_LIST_SLOW_INTERVAL = "redis.client.list.slow.interval";
  public static final String CLIENT_LIST_SKIP_ABOVE = "redis.client.list.skip.above";
  public static final String CONFIG_READ = "redis.config.read";
  public static final String REPLY_MAX_BYTES = "redis.reply.max.bytes";
  public static final String BUFFER_RECORDS = "publish.buffer.records";
  public static final String PUBLISH_GATHER = "publish.gather";

  /** Ten minutes of every sample at the normal rate: an outage that long loses nothing. */
  static final Duration BUFFER_SPAN = Duration.ofMinutes(10);

  public static CollectorConfig from(final Settings settings) {
    final List<String> uris = settings.getList(REDIS_URIS);
    // 1 s: the field guide's signals move in seconds; finer costs Redis more than it tells.
    final Duration interval = settings.getDuration(INTERVAL, Duration.ofSeconds(1));
    // 200 ms while forked: a fork that ends in an OOM kill often lasts only a few seconds.
    final Duration forkInterval = settings.getDuration(FORK_INTERVAL, Duration.ofMillis(200));
    // Below the interval, so a hung instance is reported at the next tick, not later.
    final Duration timeout = settings.getDuration(REDIS_TIMEOUT, Duration.ofMillis(Math.max(100, interval.toMillis() * 8 / 10)));
    final int defaultBuffer = bufferFor(uris.size(), interval);
    final DiscoveryConfig discovery = DiscoveryConfig.from(settings, !uris.isEmpty());
    settings.get(CLUSTER).filter(c -> !c.isBlank()).ifPresent(c -> {
      if (!c.matches("[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?")) {
        throw new IllegalArgumentException(CLUSTER + " must be 1 to 63 letters, digits, '.', '_' or '-': " + c);
      }
    });
    if (discovery.usesTls() && settings.get(REDIS_TLS_CA).isEmpty()) {
      // a discovered server's name is not checked (it is reached by its pod's address), so without a
      // CA of its own any certificate a public CA signed would pass
      throw new IllegalArgumentException("TLS to discovered servers (redis.discover.tls, redis.discover.auth.<name>.tls) "
          + "needs " + REDIS_TLS_CA + ": the CA their certificates must chain to");
    }
    return new CollectorConfig(
        settings.get(HOST).orElseGet(CollectorConfig::hostname),
        uris,
        interval,
        forkInterval,
        timeout,
        settings.get(REDIS_TLS_CA).map(java.nio.file.Path::of).orElse(null),
        // CONFIG changes rarely; once a minute keeps it fresh at no cost.
        settings.getDuration(CONFIG_REFRESH, Duration.ofSeconds(60)),
        // CONFIG GET cannot be narrowed to some parameters by ACL (Redis refuses first-arg rules on
        // subcommands): a user allowed it reads requirepass and masterauth too. Off, nothing asks it.
        settings.getBoolean(CONFIG_READ, true),
        settings.getInt(TOP_CLIENTS, 5),
        // CLIENT LIST costs Redis's main thread O(clients): 7 us at 10 clients, 12.5 ms at 10,000
        // (measured). Above 1,000 clients it is read every 15 s, not at every sample or at the fork rate.
        settings.getLong(CLIENT_LIST_MAX_CLIENTS, 1_000L),
        settings.getDuration(CLIENT_LIST_SLOW_INTERVAL, Duration.ofSeconds(15)),
        // Lettuce holds a reply whole in direct memory before it is parsed, growing its buffer by
        // doubling: at ~350 bytes a client, 20,000 clients need a 8 MB buffer while the 4 MB one is
        // copied, within the 16 MB the deployed collector has. Above it INFO's client figures stand alone.
        settings.getLong(CLIENT_LIST_SKIP_ABOVE, 20_000L),
        // twice the largest reply asked for (CLIENT LIST at 20,000 clients, ~7 MB)
        settings.getLong(REPLY_MAX_BYTES, 16L * 1024 * 1024),
        settings.getInt(BUFFER_RECORDS, defaultBuffer),
        // a quiet host's samples go out together once a second; kills and forks go at once
        settings.getDuration(PUBLISH_GATHER, interval),
        KernelConfig.from(settings),
        discovery,
        dev.oomwatch.collector.guard.GuardConfig.from(settings),
        MetricsConfig.from(settings, "collector", MetricsConfig.COLLECTOR_PORT),
        KafkaSettings.from(settings),
        settings);
  }

  /**
   * Records the buffer needs to hold {@link #BUFFER_SPAN} of every sample of {@code instances}
   * Redis instances and the host at the normal rate, and a tenth more: the broker's own restart
   * after an outage that long (measured: a 10-minute outage with exactly 10 minutes of room dropped
   * the last 5 of 3,000 records).
   */
  public static int bufferFor(final int instances, final Duration interval) {
    final int perMinute = (int) Math.max(1, 60_000 / Math.max(1, interval.toMillis()));
    return Math.max(1_000, (instances + 1) * perMinute * (int) BUFFER_SPAN.toMinutes() * 11 / 10);
  }

  /** Whether {@code publish.buffer.records} was set: then it is the size, whatever discovery finds. */
  public boolean bufferSetExplicitly() {
    return settings.get(BUFFER_RECORDS).isPresent();
  }

  static String hostname() {
    final String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  /** {@link #CLUSTER}, when set. */
  public java.util.Optional<String> cluster() {
    return settings.get(CLUSTER).filter(c -> !c.isBlank());
  }
}
