package dev.oomwatch.collector.kernel;

import dev.oomwatch.collector.CollectorMetrics;
import dev.oomwatch.collector.ForkActivity;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel side of the collector, on its own thread so file reads never delay a Redis sample:
 * a fork watch every 50 ms (a server's children file), a host sample at the normal or the fork
 * rate (and at once when a fork child appears), and the kernel log watcher or, where the log
 * cannot be read, kill inference from counters.
 */
public final class KernelSampling implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KernelSampling.class);

  private final dev.oomwatch.collector.LoopHealth health;
  private final KernelConfig config;
  private final Duration interval;
  private final Duration forkInterval;
  private final ForkActivity forks;
  private final Consumer<HostSample> hostSink;
  private final Consumer<KernelEvent> eventSink;
  private final CollectorMetrics metrics;
  private final HostSampler sampler;
  private final ScheduledExecutorService scheduler;
  private final ForkWatch forkWatch;
  /** The opt-in fork guard, judging every host sample; null when off. */
  private final dev.oomwatch.collector.guard.ForkGuard guard;
  private KernelLogWatcher watcher;
  private boolean inferring;
  private volatile HostSample previous;
  private long lastSampleMs = Long.MIN_VALUE / 2;

  public KernelSampling(
      final String host,
      final KernelConfig config,
      final Duration interval,
      final Duration forkInterval,
      final ForkActivity forks,
      final Consumer<HostSample> hostSink,
      final Consumer<KernelEvent> eventSink,
      final java.util.function.Supplier<java.util.Set<String>> publishedKills,
      final CollectorMetrics metrics,
      final dev.oomwatch.collector.container.ContainerNamer namer,
      final dev.oomwatch.collector.LoopHealth health,
      final dev.oomwatch.collector.guard.ForkGuard guard) {
    this.guard = guard;
    this.config = config;
    this.health = health;
    this.interval = interval;
    this.forkInterval = forkInterval;
    this.forks = forks;
    this.hostSink = hostSink;
    this.eventSink = eventSink;
    this.metrics = metrics;
    this.sampler = new HostSampler(host, config.paths(), config.processNames(), config.readSmaps(), namer);
    this.forkWatch = new ForkWatch(sampler.scanner(), forks);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      final Thread t = new Thread(r, "oomwatch-kernel");
      t.setDaemon(true);
      return t;
    });
    if (KernelLogWatcher.readable(config.kmsg()) && !config.inferKills()) {
      watcher = new KernelLogWatcher(config.kmsg(), host, config.kmsgFromBoot(), config.kmsgReplay(), publishedKills,
          KernelLogWatcher.bootId(config.paths().proc()), event -> eventSink.accept(withSpared(event, previous)), metrics);
      LOG.info("kernel OOM kills: read from {} as they happen", config.kmsg());
      metrics.kernelLogRead.set(1);
    } else {
      inferring = true;
      metrics.kernelLogRead.set(0);
      LOG.warn("kernel OOM kills: {} cannot be read here; kills are inferred from cgroup and vmstat "
          + "oom_kill counters (cgroup known, pid unknown)", config.kmsg());
    }
  }

  public KernelSampling start() {
    if (watcher != null) {
      watcher.start();
      health.watch("kernel-log", watcher::alive);
    }
    health.register("kernel-sampling", config.forkWatch().toMillis());
    scheduler.scheduleAtFixedRate(health.guarded("kernel-sampling", this::tick), 0, config.forkWatch().toMillis(),
        TimeUnit.MILLISECONDS);
    return this;
  }

  private void tick() {
    try {
      final long now = System.currentTimeMillis();
      final boolean newChild = watchForks(now);
      final long due = forks.any() ? forkInterval.toMillis() : interval.toMillis();
      if (newChild || now - lastSampleMs >= due) {
        lastSampleMs = now;
        final HostSample sample = sampler.sample(now);
        sample.getReadErrors().forEach((file, why) -> metrics.readError(file + ": " + why));
        metrics.hostSamples.incrementAndGet();
        hostSink.accept(sample);
        if (guard != null) {
          try {
            guard.consider(sample);
          } catch (RuntimeException e) {
            // the guard's failure must not cost the sample's other readers (kill inference below)
            metrics.guardFailures.incrementAndGet();
            LOG.warn("fork guard: could not judge a host sample: {}", e.toString());
          }
        }
        if (inferring) {
          final List<KernelEvent> events = OomKillInference.between(previous, sample, sampler::reread);
          events.forEach(e -> {
            metrics.kernelEvents.incrementAndGet();
            metrics.kernelKills.incrementAndGet();
            LOG.warn("kernel OOM kill inferred from counters in cgroup {}", e.getTaskMemcg());
            eventSink.accept(e);
          });
        }
        previous = sample;
      }
    } catch (RuntimeException e) {
      // Never let one bad read stop the kernel side: it is half of what oomwatch sees.
      LOG.warn("kernel sampling tick failed: {}", e.toString());
    }
  }

  /** Looks at each server's children; true when a child appeared since the last look. */
  private boolean watchForks(final long now) {
    final long child = forkWatch.poll(sampler.servers(now));
    if (child >= 0) {
      LOG.info("a redis-server forked: child pid {}", child);
    }
    return child >= 0;
  }

  /**
   * A group kill with the tasks of its cgroup it did not kill: those with oom_score_adj -1000
   * (the kernel skips them without a line), from the last look at that cgroup's processes.
   */
  static KernelEvent withSpared(final KernelEvent event, final HostSample last) {
    if (!event.getGroupKill() || event.getGroupMemcg() == null || last == null) {
      return event;
    }
    final java.util.Set<Long> killed = new java.util.HashSet<>();
    killed.add(event.getVictimPid());
    event.getGroupVictims().forEach(t -> killed.add(t.getPid()));
    final List<dev.oomwatch.schema.OomTask> spared = new java.util.ArrayList<>();
    for (final dev.oomwatch.schema.ProcessMemory p : last.getProcesses()) {
      if (p.getCgroup() != null && event.getGroupMemcg().equals(p.getCgroup().getPath())
          && p.getOomScoreAdj() != null && p.getOomScoreAdj() == -1000 && !killed.contains(p.getPid())) {
        spared.add(dev.oomwatch.schema.OomTask.newBuilder().setPid(p.getPid()).setComm(p.getComm())
            .setAnonRss(p.getRssAnon()).setOomScoreAdj(-1000).build());
      }
    }
    event.setSpared(spared);
    return event;
  }

  public boolean inferring() {
    return inferring;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    forkWatch.close();
    if (guard != null) {
      guard.close();
    }
    if (watcher != null) {
      watcher.close();
    }
  }
}
