package dev.oomwatch.collector;

import dev.oomwatch.collector.kernel.KernelSampling;
import dev.oomwatch.collector.publish.Publisher;
import dev.oomwatch.collector.redis.RedisSampler;
import dev.oomwatch.collector.redis.RedisTarget;
import dev.oomwatch.topics.Topic;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-host collector: a Redis sampler per configured instance (one small scheduler thread and
 * one Netty I/O thread), the kernel side ({@link KernelSampling}, its own thread and the kernel log
 * watcher's), all publishing through one {@link Publisher}.
 */
public final class Collector implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Collector.class);

  private final CollectorConfig config;
  private final CollectorMetrics metrics = new CollectorMetrics();
  private final ForkActivity forks = new ForkActivity();
  private final ScheduledExecutorService scheduler;
  private final ClientResources resources;
  private final RedisClient redisClient;
  private final Publisher publisher;
  private final List<RedisSampler> samplers = new ArrayList<>();
  private KernelSampling kernel;

  private Collector(final CollectorConfig config) {
    this.config = config;
    this.publisher = new Publisher(config.kafka(), config.bufferRecords(), config.publishGather(), forks::any, metrics);
    this.resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1).build();
    this.redisClient = RedisClient.create(resources);
    this.redisClient.setOptions(ClientOptions.builder()
        // We reconnect ourselves, with backoff, so each failure has its own reason in a sample.
        .autoReconnect(false)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .socketOptions(SocketOptions.builder().connectTimeout(config.redisTimeout()).build())
        .timeoutOptions(TimeoutOptions.enabled(config.redisTimeout()))
        .build());
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      final Thread t = new Thread(r, "oomwatch-sampler");
      t.setDaemon(true);
      return t;
    });
  }

  public static Collector start(final CollectorConfig config) {
    final Collector collector = new Collector(config);
    collector.startSampling();
    return collector;
  }

  private void startSampling() {
    final RedisSampler.Schedule schedule = new RedisSampler.Schedule(
        config.interval(), config.forkInterval(), config.configRefresh(), config.topClients(),
        config.clientListMaxClients(), config.clientListSlowInterval());
    for (final String uri : config.redisUris()) {
      final RedisTarget target = RedisTarget.parse(uri, config.redisTimeout());
      samplers.add(new RedisSampler(redisClient, target, config.host(), schedule, forks,
          sample -> publisher.publish(Topic.REDIS_SAMPLES, config.host(), sample, false),
          metrics, System::currentTimeMillis));
      LOG.info("sampling Redis {} every {} ms ({} ms while forked)", target,
          config.interval().toMillis(), config.forkInterval().toMillis());
    }
    if (config.kernel().enabled()) {
      kernel = new KernelSampling(config.host(), config.kernel(), config.interval(), config.forkInterval(), forks,
          sample -> publisher.publish(Topic.HOST_SAMPLES, config.host(), sample, false),
          event -> publisher.publish(Topic.KERNEL_EVENTS, config.host(), event, true),
          metrics).start();
    }
    final long tickMs = Math.max(10, Math.min(config.forkInterval().toMillis(), config.interval().toMillis()) / 2);
    scheduler.scheduleAtFixedRate(this::tickAll, 0, tickMs, TimeUnit.MILLISECONDS);
    LOG.info("collector for host {} started; publishing to {}", config.host(), config.kafka().bootstrapServers());
  }

  private void tickAll() {
    for (final RedisSampler sampler : samplers) {
      try {
        sampler.tick();
      } catch (RuntimeException e) {
        // One instance's bug must not stop the others' sampling.
        LOG.warn("sampler {} failed a tick: {}", sampler.instance(), e.toString());
      }
    }
  }

  public CollectorMetrics metrics() {
    return metrics;
  }

  public Publisher publisher() {
    return publisher;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    if (kernel != null) {
      kernel.close();
    }
    samplers.forEach(RedisSampler::close);
    redisClient.shutdown();
    resources.shutdown();
    publisher.close();
    LOG.info("collector stopped: {}", metrics.snapshot());
  }
}
