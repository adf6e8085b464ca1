package dev.oomwatch.collector;

import dev.oomwatch.collector.container.ContainerNamer;
import dev.oomwatch.collector.identity.ServerLocator;
import dev.oomwatch.collector.kernel.KernelSampling;
import dev.oomwatch.metrics.MetricsEndpoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import dev.oomwatch.collector.kernel.ProcessScanner;
import dev.oomwatch.collector.publish.PublishedKills;
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
import dev.oomwatch.collector.discover.DiscoveredServer;
import dev.oomwatch.collector.discover.DiscoveryConfig;
import dev.oomwatch.collector.discover.ServerDiscovery;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
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
  /** Servers tied to a socket by their samples: all the fork guard may act on. */
  private final dev.oomwatch.collector.guard.VerifiedServers verified = new dev.oomwatch.collector.guard.VerifiedServers();
  private final LoopHealth health = new LoopHealth(System::currentTimeMillis);
  private final ScheduledExecutorService scheduler;
  private final ClientResources resources;
  private final RedisClient redisClient;
  private final Publisher publisher;
  private final List<RedisSampler> samplers = new CopyOnWriteArrayList<>();
  /** Discovered servers by the address and port sampled, with when discovery last saw each. */
  private final Map<String, Discovered> discovered = new java.util.concurrent.ConcurrentHashMap<>();
  private final Set<String> explicitEndpoints = new HashSet<>();
  private ServerDiscovery discovery;
  private final Set<String> toldCollisions = new HashSet<>();
  private boolean saidNoneFound;
  private boolean saidFirstFound;
  private ServerLocator locator;
  private RedisSampler.Schedule schedule;
  private KernelSampling kernel;
  private MetricsEndpoint metricsEndpoint;

  /**
   * A discovered server's sampler, with the process it was found as: credentials follow that
   * process, never the address, which another process may take once it is gone.
   */
  private record Discovered(RedisSampler sampler, String instance, long lastSeenMs, long hostPid,
      boolean withCredentials) {}

  private Collector(final CollectorConfig config) {
    this.config = config;
    this.publisher = new Publisher(config.kafka(), config.bufferRecords(), config.publishGather(), forks::any, metrics)
        .stampingCluster(config.cluster().orElse(null));
    this.resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1)
        .nettyCustomizer(RedisSampler.replyBudget(config.redisReplyMaxBytes())).build();
    this.redisClient = RedisClient.create(resources);
    final ClientOptions.Builder options = ClientOptions.builder();
    if (config.redisTlsCa() != null) {
      // rediss:// servers whose certificate a private CA signed
      options.sslOptions(io.lettuce.core.SslOptions.builder().jdkSslProvider()
          .trustManager(config.redisTlsCa().toFile()).build());
    }
    this.redisClient.setOptions(options
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
    schedule = new RedisSampler.Schedule(
        config.interval(), config.forkInterval(), config.configRefresh(), config.readConfig(), config.topClients(),
        config.clientListMaxClients(), config.clientListSlowInterval(), config.clientListSkipAbove());
    // one namer for every reader: one cache, each container's files read once, each refusal said once
    final ContainerNamer namer = config.kernel().namer().countingRefusalsIn(metrics::readError);
    locator = config.kernel().enabled()
        ? new ServerLocator(new ProcessScanner(config.kernel().paths(), config.kernel().processNames(), false), namer)
        : null;
    for (final String uri : config.redisUris()) {
      final RedisTarget target = RedisTarget.parse(uri, config.redisTimeout());
      samplers.add(new RedisSampler(redisClient, target, config.host(), schedule, forks, this::sampled,
          metrics, System::currentTimeMillis, locator));
      LOG.info("sampling Redis {} every {} ms ({} ms while forked)", target,
          config.interval().toMillis(), config.forkInterval().toMillis());
      explicitEndpoints.add(endpointKey(target.uri().getHost(), target.port()));
    }
    if (config.discovery().enabled()) {
      if (locator == null) {
        LOG.warn("redis.discover is on but kernel.enabled is off: discovery reads /proc, so it does not run");
      } else {
        discovery = new ServerDiscovery(new ProcessScanner(config.kernel().paths(), config.kernel().processNames(), false),
            locator, namer);
        if (config.discovery().sendsToAny()) {
          LOG.warn("{} is on: the discovery password goes to every process on this host that calls itself {} and "
              + "listens, whatever container it runs in; any pod on the node can take it", DiscoveryConfig.TO_ANY,
              String.join(" or ", config.kernel().processNames()));
        }
        health.register("discovery", config.discovery().interval().toMillis());
        scheduler.scheduleWithFixedDelay(health.guarded("discovery", this::discover), 0,
            config.discovery().interval().toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("discovering {} processes on this host every {} ms", String.join(" and ", config.kernel().processNames()),
            config.discovery().interval().toMillis());
      }
    }
    if (config.kernel().enabled()) {
      kernel = new KernelSampling(config.host(), config.kernel(), config.interval(), config.forkInterval(), forks,
          sample -> publisher.publish(Topic.HOST_SAMPLES, config.host(), sample, false),
          event -> publisher.publish(Topic.KERNEL_EVENTS, config.host(), event, true),
          () -> PublishedKills.read(config.kafka(), config.host(), config.kernel().kmsgReplay()),
          metrics, namer, health, guard()).start();
    }
    final PrometheusRegistry registry = MetricsEndpoint.newRegistry();
    CollectorPrometheus.register(registry, config.host(), metrics, publisher, samplers);
    final long tickMs = Math.max(10, Math.min(config.forkInterval().toMillis(), config.interval().toMillis()) / 2);
    health.register("redis-sampling", tickMs);
    metricsEndpoint = MetricsEndpoint.serve(config.metrics(), registry, () -> {
      final Map<String, Boolean> loops = health.state();
      return new MetricsEndpoint.Health(!loops.containsValue(false), loops.entrySet().stream()
          .map(e -> e.getKey() + (e.getValue() ? " running" : " STOPPED")).collect(java.util.stream.Collectors.joining(", ")));
    });
    scheduler.scheduleAtFixedRate(health.guarded("redis-sampling", this::tickAll), 0, tickMs, TimeUnit.MILLISECONDS);
    LOG.info("collector for host {} started; publishing to {}", config.host(), config.kafka().bootstrapServers());
  }

  private void sampled(final dev.oomwatch.schema.RedisSample sample) {
    verified.observe(sample);
    publisher.publish(Topic.REDIS_SAMPLES, config.host(), sample, false);
  }

  /** The fork guard when {@code guard.enabled}, else null; it says whether it may signal. */
  private dev.oomwatch.collector.guard.ForkGuard guard() {
    if (!config.guard().enabled()) {
      return null;
    }
    boolean canSignal;
    try {
      final ProcessPrivileges self = ProcessPrivileges.ofSelf();
      canSignal = self.uid() == 0 || self.capabilities().contains("kill");
    } catch (java.io.IOException | RuntimeException e) {
      canSignal = false;
    }
    if (canSignal) {
      LOG.warn("fork guard ON: a fork child projected within {}% of its limit {} ms ahead is ended with SIGUSR1, at "
          + "most {} per instance per {}", Math.round(config.guard().marginShare() * 100),
          config.guard().ahead().toMillis(), config.guard().maxAborts(), config.guard().window());
    } else {
      LOG.error("fork guard ON but this process may not signal other users' processes (no CAP_KILL): it will not "
          + "act; start the collector with OOMWATCH_GUARD_ENABLED=true so that it keeps CAP_KILL");
    }
    return new dev.oomwatch.collector.guard.ForkGuard(config.guard(), verified, config.kernel().paths().proc(),
        event -> publisher.publish(Topic.KERNEL_EVENTS, config.host(), event, true), metrics, config.host(), canSignal);
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

  /**
   * One discovery pass, on the sampler thread: new servers get a sampler, servers seen again are
   * kept, servers gone longer than the retention are forgotten (until then their sampler reports
   * them unreachable). An explicit URI to the same address and port wins.
   */
  private void discover() {
    try {
      final long now = System.currentTimeMillis();
      final List<DiscoveredServer> found = discovery.scan();
      metrics.discoveryPasses.incrementAndGet();
      sayWhetherAnyIsFound(found);
      final Set<Long> foundPids = new HashSet<>();
      found.forEach(server -> foundPids.add(server.hostPid()));
      for (final DiscoveredServer server : found) {
        final String key = endpointKey(server.endpoint().address(), server.endpoint().port());
        if (explicitEndpoints.contains(key)) {
          continue;
        }
        final Discovered known = discovered.get(key);
        if (known != null && known.hostPid() == server.hostPid()) {
          discovered.put(key, new Discovered(known.sampler(), known.instance(), now, known.hostPid(),
              known.withCredentials()));
          continue;
        }
        if (known != null) {
          // another process listens where the one found before did: it is judged afresh
          LOG.info("Redis {}: host pid {} now listens where host pid {} did; its identity and credentials are "
              + "judged afresh", known.instance(), server.hostPid(), known.hostPid());
          forget(key, known);
        }
        final DiscoveryConfig.Credentials credentials = config.discovery().credentialsFor(server);
        final String instance = uniqueInstance(server, foundPids);
        discovered.put(key, new Discovered(sampler(server, instance, credentials), instance, now, server.hostPid(),
            credentials.password() != null));
        metrics.redisDiscovered.incrementAndGet();
        if (!config.bufferSetExplicitly()) {
          // ten minutes of every instance's samples, however many discovery finds
          publisher.ensureCapacity(CollectorConfig.bufferFor(samplers.size(), config.interval()));
        }
        LOG.info("discovered Redis {} (host pid {}{}); sampling it {}", instance, server.hostPid(),
            server.podLabel() == null ? "" : ", pod " + server.podLabel(), howAuthenticated(server, credentials));
      }
      // a server gone from /proc is still reported unreachable for a while, but whatever listens at
      // its address next is not it: no credential goes there
      discovered.entrySet().forEach(e -> {
        final Discovered d = e.getValue();
        if (d.withCredentials() && !foundPids.contains(d.hostPid())) {
          LOG.info("Redis {}: host pid {} is gone; no credentials go to its address any more", d.instance(), d.hostPid());
          samplers.remove(d.sampler());
          d.sampler().close();
          final RedisSampler bare = sampler(d.sampler().address(), d.sampler().port(), d.hostPid(), d.instance(),
              DiscoveryConfig.Credentials.NONE);
          e.setValue(new Discovered(bare, d.instance(), d.lastSeenMs(), d.hostPid(), false));
        }
      });
      final long forget = config.discovery().forgetAfter().toMillis();
      discovered.entrySet().removeIf(e -> {
        if (now - e.getValue().lastSeenMs() <= forget) {
          return false;
        }
        LOG.info("forgot Redis {}: gone from this host for {} s", e.getValue().instance(), forget / 1000);
        samplers.remove(e.getValue().sampler());
        e.getValue().sampler().close();
        return true;
      });
    } catch (RuntimeException e) {
      // one bad pass must not end discovery: the next one starts from /proc again
      LOG.warn("discovery pass failed: {}", e.toString());
    }
  }

  /**
   * A sampler for a discovered server. With credentials it connects only while the process it was
   * found as still lives: between two discovery passes another process may take its address.
   */
  private RedisSampler sampler(final DiscoveredServer server, final String instance,
      final DiscoveryConfig.Credentials credentials) {
    return sampler(server.endpoint().address(), server.endpoint().port(), server.hostPid(), instance, credentials);
  }

  private RedisSampler sampler(final String address, final int port, final long hostPid, final String instance,
      final DiscoveryConfig.Credentials credentials) {
    final RedisTarget target = RedisTarget.discovered(address, port, instance, credentials.username(),
        credentials.password(), credentials.tls(), config.redisTimeout());
    final java.nio.file.Path process = config.kernel().paths().proc().resolve(String.valueOf(hostPid));
    final RedisSampler sampler = new RedisSampler(redisClient, target, config.host(), schedule, forks, this::sampled,
        metrics, System::currentTimeMillis, locator)
        .connectingOnlyWhile(credentials.password() == null ? () -> true : () -> java.nio.file.Files.isDirectory(process));
    samplers.add(sampler);
    return sampler;
  }

  private void forget(final String key, final Discovered d) {
    discovered.remove(key);
    samplers.remove(d.sampler());
    d.sampler().close();
  }

  /** For the log: whether credentials go to this server, and on what ground (never which). */
  private String howAuthenticated(final DiscoveredServer server, final DiscoveryConfig.Credentials credentials) {
    if (credentials.password() != null) {
      return config.discovery().verified(server) ? "with the credentials its verified identity selects"
          : "with the default credentials (" + DiscoveryConfig.TO_ANY + ")";
    }
    if (config.discovery().fallback().password() != null) {
      return "without credentials: its identity is not verified (no runtime bundle names its pod, or outside "
          + "containers it runs an executable that is not the system's, or as a user not in "
          + DiscoveryConfig.HOST_OWNERS + ")";
    }
    return "without credentials";
  }

  /**
   * Two servers are never one instance: a server whose id another discovered server already has
   * (two pods the runtime names alike, which should not happen) is published under its address
   * and port instead, and that is said once.
   */
  private String uniqueInstance(final DiscoveredServer server, final Set<Long> foundPids) {
    final String wanted = server.instance();
    // a recreated pod (a StatefulSet's, at a new address) takes its id over from its gone predecessor
    new java.util.ArrayList<>(discovered.entrySet()).stream()
        .filter(e -> e.getValue().instance().equals(wanted) && !foundPids.contains(e.getValue().hostPid()))
        .forEach(e -> {
          LOG.info("Redis {}: now host pid {}; its predecessor, host pid {}, is gone", wanted, server.hostPid(),
              e.getValue().hostPid());
          forget(e.getKey(), e.getValue());
        });
    final boolean taken = discovered.values().stream().anyMatch(d -> d.instance().equals(wanted))
        || samplers.stream().anyMatch(s -> s.instance().equals(wanted));
    if (!taken) {
      return wanted;
    }
    final String fallback = server.fallbackInstance();
    if (toldCollisions.add(wanted)) {
      LOG.warn("two Redis servers would both be instance {}: host pid {} is published as {} instead", wanted,
          server.hostPid(), fallback);
    }
    return fallback;
  }

  /**
   * A first run on a machine without Redis must not look like a broken pipeline: when nothing is
   * configured and the first passes find no server, it says so once, with how to give one, and
   * says again when the first one turns up.
   */
  private void sayWhetherAnyIsFound(final List<DiscoveredServer> found) {
    if (!explicitEndpoints.isEmpty()) {
      return;
    }
    if (found.isEmpty() && discovered.isEmpty() && !saidNoneFound && metrics.redisDiscovered.get() == 0) {
      saidNoneFound = true;
      LOG.warn("no Redis server found on this host yet (no {} process listening); looking again every {} ms. "
              + "Give one with redis.uris ({} for `oomwatch local`), or start one and it is found",
          String.join(" or ", config.kernel().processNames()), config.discovery().interval().toMillis(),
          "--redis redis://HOST:PORT");
    } else if (!found.isEmpty() && saidNoneFound && !saidFirstFound) {
      saidFirstFound = true;
      LOG.info("found the first Redis server on this host: {} (host pid {})", found.get(0).instance(),
          found.get(0).hostPid());
    }
  }

  /** Instance ids of the servers discovery is sampling now. */
  public List<String> discoveredInstances() {
    return samplers.stream().map(RedisSampler::instance)
        .filter(i -> discovered.values().stream().anyMatch(d -> d.instance().equals(i))).toList();
  }

  private static String endpointKey(final String host, final int port) {
    try {
      return java.net.InetAddress.getByName(host).getHostAddress() + ":" + port;
    } catch (java.net.UnknownHostException e) {
      return host + ":" + port;
    }
  }

  /** Whether every loop still runs: what /healthz says. */
  public LoopHealth health() {
    return health;
  }

  public CollectorMetrics metrics() {
    return metrics;
  }

  public Publisher publisher() {
    return publisher;
  }

  /** Where /metrics is served, when it is. */
  public java.util.Optional<String> metricsUrl() {
    return metricsEndpoint == null ? java.util.Optional.empty() : metricsEndpoint.url();
  }

  @Override
  public void close() {
    if (metricsEndpoint != null) {
      metricsEndpoint.close();
    }
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
