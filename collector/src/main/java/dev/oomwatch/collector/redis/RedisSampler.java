package dev.oomwatch.collector.redis;

import dev.oomwatch.collector.CollectorMetrics;
import dev.oomwatch.collector.ForkActivity;
import dev.oomwatch.collector.identity.ServerLocator;
import dev.oomwatch.schema.RedisConfig;
import dev.oomwatch.schema.RedisSample;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandKeyword;
import io.lettuce.core.protocol.CommandType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples one Redis instance: INFO, CLIENT LIST and (every minute) CONFIG GET, pipelined on one
 * connection, never blocking a thread. {@link #tick()} is called often (every fast interval); it
 * decides whether a sample is due, at the fork rate while any fork runs on the host. A sample
 * still in flight is never doubled: a slow instance costs only itself.
 */
public final class RedisSampler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RedisSampler.class);

  /** How one sampler behaves; from the collector's configuration. */
  public record Schedule(Duration interval, Duration forkInterval, Duration configRefresh, boolean readConfig, int topClients,
      long clientListMaxClients, Duration clientListSlowInterval, long clientListSkipAbove) {}

  private final RedisClient client;
  private final RedisTarget target;
  private final String host;
  private final Schedule schedule;
  private final ForkActivity forks;
  private final Consumer<RedisSample> sink;
  private final CollectorMetrics metrics;
  private final LongSupplier clock;
  /** Ties each sample to its host process and container; null where /proc is not this host's. */
  private final ServerLocator locator;

  private StatefulRedisConnection<String, String> connection;
  private java.util.function.BooleanSupplier connectAllowed = () -> true;
  private boolean inFlight;
  private long lastStartMs = Long.MIN_VALUE / 2;
  private long nextConnectMs;
  private long backoffMs;
  private String lastFailureKind;
  private volatile Status status = new Status(false, null, null, 0);
  private RedisConfig config;
  private long configReadMs = Long.MIN_VALUE / 2;
  private String configUnavailable;
  /**
   * The last CLIENT LIST reading and its time, repeated while a busy instance's next one is not due.
   * The time and the client count outlive a reconnect: a reconnect must not make a busy instance's
   * CLIENT LIST due at once.
   */
  private ClientList clients;
  private long clientsReadMs = Long.MIN_VALUE / 2;
  private Long lastConnectedClients;
  /** No CLIENT LIST on a connection's first sample: INFO says first how many clients it would list. */
  private boolean firstOnConnection;
  /** CLIENT LIST replies that ended with the connection (the reply over client-output-buffer-limit). */
  private int clientListDrops;
  private long clientListPausedUntilMs = Long.MIN_VALUE / 2;
  private Long clientListSentAtMs;
  private String lastIdentity;

  public RedisSampler(
      final RedisClient client,
      final RedisTarget target,
      final String host,
      final Schedule schedule,
      final ForkActivity forks,
      final Consumer<RedisSample> sink,
      final CollectorMetrics metrics,
      final LongSupplier clock,
      final ServerLocator locator) {
    this.client = client;
    this.target = target;
    this.host = host;
    this.schedule = schedule;
    this.forks = forks;
    this.sink = sink;
    this.metrics = metrics;
    this.clock = clock;
    this.locator = locator;
  }

  public String instance() {
    return target.instance();
  }

  public String address() {
    return target.uri().getHost();
  }

  public int port() {
    return target.port();
  }

  /**
   * Connects only while {@code allowed} holds: a discovered server's sampler with credentials
   * connects only while the process it was found as lives.
   */
  public RedisSampler connectingOnlyWhile(final java.util.function.BooleanSupplier allowed) {
    this.connectAllowed = allowed;
    return this;
  }

  /** The bound on what one server may send for one sample's commands ({@link ReplyBudget}). */
  public static io.lettuce.core.resource.NettyCustomizer replyBudget(final long maxBytes) {
    return ReplyBudget.on(maxBytes);
  }

  /** Called by the collector's scheduler thread only. */
  public synchronized void tick() {
    final long now = clock.getAsLong();
    final boolean healthy = connection != null && connection.isOpen();
    final long interval = healthy && forks.any() ? schedule.forkInterval().toMillis() : schedule.interval().toMillis();
    if (inFlight && now - lastStartMs > stallMs()) {
      // a connect or a sample whose futures never completed: never let one stall this instance for good
      LOG.warn("Redis {}: no answer in {} ms; connecting again", target, now - lastStartMs);
      inFlight = false;
      final long stalled = now - lastStartMs;
      // answers of the abandoned attempt that still come are recognised by their start time and dropped
      lastStartMs = now;
      failed(now, new java.util.concurrent.TimeoutException("no answer in " + stalled + " ms"));
      return;
    }
    if (inFlight || now - lastStartMs < interval) {
      return;
    }
    lastStartMs = now;
    if (!healthy) {
      closeConnection();
      if (now < nextConnectMs) {
        // Still backing off: say at the normal rate that the instance is down, without a connect.
        publishUnreachable(now, lastFailureKind == null ? "DISCONNECTED" : lastFailureKind);
        return;
      }
      if (!connectAllowed.getAsBoolean()) {
        // its process is gone: whatever listens at its address now gets no credential
        publishUnreachable(now, "GONE: the process it was found as has exited");
        return;
      }
      inFlight = true;
      client.connectAsync(StringCodec.UTF8, target.uri()).whenComplete((conn, failure) -> {
        synchronized (this) {
          if (now != lastStartMs) {
            if (conn != null) {
              conn.closeAsync();
            }
            return;
          }
          if (failure != null) {
            inFlight = false;
            failed(now, failure);
          } else {
            connection = conn;
            backoffMs = 0;
            firstOnConnection = true;
            LOG.info("connected to Redis {}", target);
            sample(now);
          }
        }
      });
      return;
    }
    inFlight = true;
    sample(now);
  }

  private void sample(final long startMs) {
    final RedisAsyncCommands<String, String> redis = connection.async();
    final long t0 = System.nanoTime();
    final RedisFuture<String> info = redis.info();
    final CompletableFuture<ClientList> clientList = clientListDue(startMs)
        ? redis.dispatch(CommandType.CLIENT, new ClientListOutput(schedule.topClients()),
            new CommandArgs<>(StringCodec.UTF8).add(CommandKeyword.LIST)).toCompletableFuture()
        : null;
    clientListSentAtMs = clientList == null ? null : startMs;
    firstOnConnection = false;
    final boolean configDue = schedule.readConfig() && startMs - configReadMs >= schedule.configRefresh().toMillis();
    final CompletableFuture<Map<String, String>> configFuture = configDue ? readConfig(redis) : null;

    info.toCompletableFuture().whenComplete((infoText, failure) -> {
      if (failure != null) {
        synchronized (this) {
          if (startMs == lastStartMs) {
            inFlight = false;
            failed(startMs, failure);
          }
        }
        return;
      }
      final CompletableFuture<?> rest = CompletableFuture.allOf(
          clientList == null ? CompletableFuture.completedFuture(null) : clientList,
          configFuture == null ? CompletableFuture.completedFuture(null) : configFuture);
      rest.whenComplete((ignored, restFailure) -> complete(startMs, t0, infoText, clientList, configFuture));
    });
  }

  private synchronized void complete(
      final long startMs,
      final long t0,
      final String infoText,
      final CompletableFuture<ClientList> clientList,
      final CompletableFuture<Map<String, String>> configFuture) {
    if (startMs != lastStartMs) {
      return;
    }
    try {
      final List<String> unavailable = new ArrayList<>();
      if (clientList != null) {
        clientListSentAtMs = null;
        try {
          clients = clientList.join();
          clientsReadMs = startMs;
          clientListDrops = 0;
        } catch (RuntimeException e) {
          clients = null;
          if (connection == null || !connection.isOpen()) {
            clientListDropped(startMs);
          } else {
            clientsReadMs = startMs;
          }
          unavailable.add("CLIENT LIST: " + FailureReason.of(e));
        }
      }
      if (tooManyClients()) {
        unavailable.add("CLIENT LIST: not asked, " + lastConnectedClients + " clients (over "
            + "redis.client.list.skip.above=" + schedule.clientListSkipAbove() + "); client memory from INFO only");
      } else if (startMs < clientListPausedUntilMs) {
        unavailable.add("CLIENT LIST: not asked until " + java.time.Instant.ofEpochMilli(clientListPausedUntilMs)
            + ", after " + clientListDrops + " that ended the connection");
      }
      if (configFuture != null) {
        configReadMs = startMs;
        try {
          config = RedisConfigMapper.map(configFuture.join(), startMs);
          configUnavailable = null;
        } catch (RuntimeException e) {
          final String why = "CONFIG: " + FailureReason.of(e);
          if (!why.equals(configUnavailable)) {
            LOG.warn("Redis {}: CONFIG GET is not available ({}); sampling goes on without it", target, why);
          }
          configUnavailable = why;
        }
      }
      if (!schedule.readConfig()) {
        unavailable.add("CONFIG: not read (redis.config.read=false)");
      } else if (configUnavailable != null) {
        unavailable.add(configUnavailable);
      }
      if (timedOut(clientList) || timedOut(configFuture)) {
        // its reply may still come, into Lettuce's buffer: the connection goes with what it holds
        closeConnection();
      }
      final long durationMs = (System.nanoTime() - t0) / 1_000_000;
      final RedisInfo info = RedisInfo.parse(infoText);
      final RedisSample sample = RedisSampleMapper.withPlacement(RedisSampleMapper.map(host, target.instance(), startMs,
          new RedisSampleMapper.Reading(info, clients, clients == null ? null : clientsReadMs, config, unavailable,
              durationMs), schedule.topClients()),
          locator == null ? null : locator.locate(target.uri().getHost(), target.port(), info.number("process_id"),
              info.text("run_id"), startMs));
      logIdentityChange(sample);
      lastConnectedClients = sample.getConnectedClients();
      forks.set(target.instance(), Boolean.TRUE.equals(sample.getRdbBgsaveInProgress())
          || Boolean.TRUE.equals(sample.getAofRewriteInProgress())
          || Boolean.TRUE.equals(sample.getModuleForkInProgress()));
      status = new Status(true, sample.getPodName(), sample.getPodNamespace(), startMs);
      if (lastFailureKind != null) {
        LOG.info("Redis {} is reachable again", target);
        lastFailureKind = null;
      }
      metrics.redisSamples.incrementAndGet();
      sink.accept(sample);
    } catch (RuntimeException e) {
      metrics.redisSampleErrors.incrementAndGet();
      LOG.warn("Redis {}: could not build a sample: {}", target, e.toString());
    } finally {
      inFlight = false;
    }
  }

  /**
   * CLIENT LIST at every sample, unless the instance has more clients than the schedule allows:
   * then only every slow interval, since its cost to Redis grows with every client.
   */
  private boolean clientListDue(final long startMs) {
    if (firstOnConnection || startMs < clientListPausedUntilMs || tooManyClients()) {
      return false;
    }
    final boolean busy = lastConnectedClients != null && lastConnectedClients > schedule.clientListMaxClients();
    return !busy || startMs - clientsReadMs >= schedule.clientListSlowInterval().toMillis();
  }

  private static boolean timedOut(final CompletableFuture<?> future) {
    if (future == null || !future.isCompletedExceptionally()) {
      return false;
    }
    try {
      future.join();
      return false;
    } catch (java.util.concurrent.CompletionException e) {
      return e.getCause() instanceof io.lettuce.core.RedisCommandTimeoutException;
    } catch (java.util.concurrent.CancellationException e) {
      return false;
    }
  }

  /** So many clients that the reply would not fit the collector's memory: not asked at all. */
  private boolean tooManyClients() {
    return lastConnectedClients != null && lastConnectedClients > schedule.clientListSkipAbove();
  }

  /**
   * Redis closes a connection whose reply outgrows {@code client-output-buffer-limit normal}; asked
   * again at once, CLIENT LIST would cost Redis that reply and a reconnect every second. So it
   * pauses, from the slow interval doubling up to 30 minutes, said once; a reading resets it.
   */
  private void clientListDropped(final long now) {
    clientListDrops++;
    final long pause = Math.min(30 * 60_000L,
        schedule.clientListSlowInterval().toMillis() << Math.min(16, clientListDrops - 1));
    clientListPausedUntilMs = now + pause;
    if (clientListDrops == 1) {
      LOG.warn("Redis {} closed the connection while answering CLIENT LIST (a reply larger than its "
          + "client-output-buffer-limit for normal clients?); not asked again for {} s, then less often while it "
          + "goes on", target, pause / 1000);
    }
  }

  /** Longer than any answer can take: the connect timeout and three command timeouts. */
  private long stallMs() {
    return Math.max(5_000, 4 * target.uri().getTimeout().toMillis());
  }

  /** Says once, at each change, which process the instance is (or why it is none). */
  private void logIdentityChange(final RedisSample sample) {
    final String status = sample.getIdentity();
    if (status == null) {
      return;
    }
    final String now = status + ":" + sample.getServerHostPid();
    if (!now.equals(lastIdentity)) {
      lastIdentity = now;
      if (sample.getServerHostPid() != null) {
        LOG.info("Redis {} is host pid {}{} ({})", target, sample.getServerHostPid(),
            sample.getPodName() == null ? "" : " in pod " + (sample.getPodNamespace() == null ? "" : sample.getPodNamespace() + "/")
                + sample.getPodName(), sample.getIdentityEvidence());
      } else {
        LOG.warn("Redis {}: {} host process; its samples are not tied to one and no kernel figure is judged for it: {}",
            target, status.equals("AMBIGUOUS") ? "more than one" : "no", sample.getIdentityEvidence());
      }
    }
  }

  private void failed(final long now, final Throwable failure) {
    final String reason = FailureReason.of(failure);
    final String kind = FailureReason.kind(failure);
    if (!kind.equals(lastFailureKind)) {
      if ("AUTH_FAILED".equals(kind)) {
        LOG.error("Redis {}: authentication failed ({}). Check the user and password in its URI; "
            + "oomwatch keeps trying with backoff.", target, reason);
      } else {
        LOG.warn("Redis {} is unreachable: {}", target, reason);
      }
    }
    lastFailureKind = kind;
    forks.set(target.instance(), false);
    if (clientListSentAtMs != null && clientListSentAtMs == lastStartMs) {
      // the connection ended while CLIENT LIST was on its way: that may be what ended it
      clientListDropped(now);
    }
    clientListSentAtMs = null;
    // the reading is not republished for a new connection; when the next one is due stays known
    clients = null;
    closeConnection();
    backoffMs = ReconnectBackoff.next(kind, backoffMs, schedule.interval().toMillis());
    nextConnectMs = now + backoffMs;
    publishUnreachable(now, reason);
  }

  /** Whether the last attempt reached Redis, with the pod the instance was last seen in. */
  public record Status(boolean up, String podName, String podNamespace, long sinceMs) {}

  public Status status() {
    return status;
  }

  private void publishUnreachable(final long now, final String reason) {
    final Status last = status;
    status = new Status(false, last.podName(), last.podNamespace(), now);
    metrics.redisUnreachable.incrementAndGet();
    sink.accept(RedisSampleMapper.unreachable(host, target.instance(), now, reason));
  }

  /** Each parameter separately: CONFIG GET with several arguments needs Redis 7. */
  private static CompletableFuture<Map<String, String>> readConfig(final RedisAsyncCommands<String, String> redis) {
    final List<CompletableFuture<Map<String, String>>> parts = new ArrayList<>();
    for (final String parameter : RedisConfigMapper.PARAMETERS) {
      parts.add(redis.configGet(parameter).toCompletableFuture());
    }
    return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
      final Map<String, String> all = new HashMap<>();
      parts.forEach(p -> all.putAll(p.join()));
      return all;
    });
  }

  private void closeConnection() {
    if (connection != null) {
      connection.closeAsync();
      connection = null;
    }
  }

  @Override
  public synchronized void close() {
    closeConnection();
  }
}
