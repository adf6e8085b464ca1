package dev.oomwatch.streams;

import dev.oomwatch.alert.AlertLifecycle;
import dev.oomwatch.alert.LiveAlert;
import dev.oomwatch.detect.AbortRecord;
import dev.oomwatch.detect.DetectionConfig;
import dev.oomwatch.detect.Detector;
import dev.oomwatch.detect.Finding;
import dev.oomwatch.detect.HostDetector;
import dev.oomwatch.detect.HostSettingsDetectors;
import dev.oomwatch.detect.InstanceState;
import dev.oomwatch.detect.InstanceTracker;
import dev.oomwatch.detect.KernelLooks;
import dev.oomwatch.detect.KernelOomKillDetector;
import dev.oomwatch.detect.KillAttribution;
import dev.oomwatch.detect.UnattributedKillDetector;
import dev.oomwatch.history.HistoryConfig;
import dev.oomwatch.history.HistoryRecorder;
import dev.oomwatch.join.HostWindow;
import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.join.KernelView;
import dev.oomwatch.join.SnapshotBuilder;
import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.wire.RecordJson;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The brain, one per partition (so per set of hosts). Redis samples are joined with the host's
 * kernel view valid at their time; host samples re-judge the host's instances at once (the kernel
 * sees a fork child before Redis reports the save); kernel events are attributed to an instance.
 * Each step runs the detectors and the alert lifecycle; every decision is in the pure classes,
 * this class only moves state in and out of the stores.
 */
final class DetectProcessor implements Processor<String, Object, String, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(DetectProcessor.class);
  private static final Logger ALERT_LOG = LoggerFactory.getLogger(StreamsApp.ALERT_LOGGER);
  /** Types that still mean something while an instance cannot be sampled. */
  private static final Set<AlertType> EVENT_TYPES =
      EnumSet.of(AlertType.KERNEL_OOM_KILL, AlertType.REDIS_RESTART, AlertType.RESTART_STORM, AlertType.FORK_ABORTED);
  private static final Set<AlertType> HOST_TYPES =
      EnumSet.of(AlertType.OVERCOMMIT_HEURISTIC, AlertType.THP_ENABLED, AlertType.KERNEL_OOM_KILL);
  private static final StringSerializer KEYS = new StringSerializer();

  private final DetectionConfig config;
  private final PipelineMetrics metrics;
  private final HistoryConfig historyConfig;
  private final List<Detector> detectors;
  /** The types the instance detectors judge. */
  private final Set<AlertType> detectorTypes;
  private final List<HostDetector> hostDetectors = HostSettingsDetectors.all();
  private ProcessorContext<String, Object> context;
  /** Per task: hosts of one partition. Sized for thousands of hosts per partition. */
  private static final int CACHE = 8192;

  private CachedStore<HostWindow> hosts;
  private CachedStore<InstanceState> instances;
  private KeyValueStore<String, LiveAlert> alerts;
  /** Live alerts by their prefix (host|instance|), as in the store: read on every step. */
  private final Map<String, Map<AlertType, LiveAlert>> liveCache = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(final Map.Entry<String, Map<AlertType, LiveAlert>> eldest) {
      return size() > CACHE;
    }
  };
  /** The instance keys of each host, so a host sample does not scan the store for them. */
  private final Map<String, Set<String>> hostInstances = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(final Map.Entry<String, Set<String>> eldest) {
      return size() > CACHE;
    }
  };
  private HistoryRecorder history;

  DetectProcessor(final DetectionConfig config, final HistoryConfig historyConfig, final PipelineMetrics metrics,
      final List<Detector> detectors) {
    this.detectors = detectors;
    this.detectorTypes = typesOf(detectors);
    this.metrics = metrics;
    this.config = config;
    this.historyConfig = historyConfig;
  }

  @Override
  public void init(final ProcessorContext<String, Object> context) {
    this.context = context;
    final long flush = config.stateFlush().toMillis();
    this.hosts = new CachedStore<>(context.getStateStore(OomwatchTopology.HOST_WINDOWS), CACHE, flush);
    this.instances = new CachedStore<>(context.getStateStore(OomwatchTopology.INSTANCES), CACHE, flush);
    this.alerts = context.getStateStore(OomwatchTopology.LIVE_ALERTS);
    this.history = new HistoryRecorder(historyConfig, context);
    liveCache.clear();
    hostInstances.clear();
    // what fires on this task's hosts, for /metrics, from the store restored before init
    try (KeyValueIterator<String, LiveAlert> it = alerts.all()) {
      while (it.hasNext()) {
        final var entry = it.next();
        final LiveAlert a = entry.value;
        metrics.firingSince(entry.key, new PipelineMetrics.Firing("", a.host(), a.instance() == null ? "" : a.instance(),
            a.type().name(), a.severity().name(), "", ""));
      }
    }
    context.schedule(Duration.ofSeconds(10), PunctuationType.WALL_CLOCK_TIME, this::resolveStale);
    context.schedule(Duration.ofMinutes(5), PunctuationType.WALL_CLOCK_TIME, history::prune);
    context.schedule(historyConfig.bucket(), PunctuationType.STREAM_TIME, history::flush);
    context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, now ->
        metrics.flushed(hosts.flushDue(now) + instances.flushDue(now)));
  }

  /** A clean close (rebalance, shutdown) writes what waits, before the task's last commit. */
  @Override
  public void close() {
    if (hosts != null) {
      metrics.flushed(hosts.flushAll() + instances.flushAll());
      // this task's alerts now fire on another streams-app's /metrics
      try (KeyValueIterator<String, LiveAlert> it = alerts.all()) {
        while (it.hasNext()) {
          metrics.notFiringHere(it.next().key);
        }
      }
    }
  }

  @Override
  public void process(final Record<String, Object> record) {
    final Object value = record.value();
    if (value instanceof RedisSample sample) {
      onRedis(sample, record.timestamp());
    } else if (value instanceof HostSample sample) {
      onHost(sample, record.timestamp());
    } else if (value instanceof KernelEvent event) {
      onKernel(event, record.timestamp());
    }
  }

  private void onRedis(final RedisSample sample, final long recordTs) {
    final String key = instanceKey(sample.getHost(), sample.getInstance());
    final InstanceState stored = instances.get(key);
    final InstanceState state = orNew(stored);
    final List<Object> before = stored == null ? null : state.transitions();
    final HostWindow window = hosts.get(sample.getHost());
    final KernelView view = window == null ? null : window.asOf(sample.getTimestampMs(), config.joinTolerance().toMillis());
    final InstanceSnapshot snapshot = SnapshotBuilder.build(sample, view);
    judge(state, snapshot, snapshot.reachable() ? detectorTypes : EVENT_TYPES, recordTs, true);
    save(key, state, before, snapshot.forking());
    final Set<String> known = hostInstances.get(sample.getHost());
    if (known != null) {
      known.add(key);
    }
  }

  private void onHost(final HostSample sample, final long recordTs) {
    final KernelView view = KernelView.of(sample);
    final HostWindow window = orEmpty(hosts.get(sample.getHost())).add(view);
    // the views are the next seconds' join partners: lost in a crash, the next host sample replaces them
    hosts.putRoutine(sample.getHost(), window, context.currentSystemTimeMs());
    final Map<String, InstanceState> onHost = instancesOf(sample.getHost());
    judgeHost(sample.getHost(), view, window, dev.oomwatch.detect.HostInstances.of(onHost.values()), view.timestampMs(),
        recordTs);
    for (final Map.Entry<String, InstanceState> e : onHost.entrySet()) {
      final InstanceState state = e.getValue();
      final InstanceSnapshot latest = state.latest();
      if (state.lastRedis == null || latest == null || !latest.reachable()) {
        continue;
      }
      final InstanceSnapshot snapshot = KernelLooks.toJudge(latest, state.lastRedis, view, config);
      if (snapshot == null) {
        continue;
      }
      final List<Object> before = state.transitions();
      judge(state, snapshot, detectorTypes, recordTs, false);
      save(e.getKey(), state, before, snapshot.forking());
    }
  }

  private void onKernel(final KernelEvent event, final long recordTs) {
    if (event.getKind() == dev.oomwatch.schema.KernelEventKind.FORK_ABORTED) {
      onForkAborted(event, recordTs);
      return;
    }
    final Map<String, InstanceState> onHost = instancesOf(event.getHost());
    final Map<String, InstanceState> byInstance = new LinkedHashMap<>();
    onHost.forEach((key, state) -> byInstance.put(key.substring(event.getHost().length() + 1), state));
    final KillAttribution.Attributed who = KillAttribution.attribute(event, byInstance);
    if (who == null) {
      if (KillAttribution.isRedis(event.getVictimComm()) || event.getVictimComm() == null) {
        final String victim = event.getVictimComm() == null ? "a process (inferred from counters)"
            : event.getVictimComm() + " pid " + event.getVictimPid();
        LOG.warn("kernel OOM kill on {} not matched to an instance: {}", event.getHost(), victim);
        history.kill(event, null, null, null);
        final HostWindow window = orEmpty(hosts.get(event.getHost())).withUnattributedKill(event.getTimestampMs(), victim);
        hosts.put(event.getHost(), window);
        final KernelView latest = window.latest();
        judgeHost(event.getHost(), latest, window, dev.oomwatch.detect.HostInstances.of(instancesOf(event.getHost()).values()),
            event.getTimestampMs(), recordTs);
      }
      return;
    }
    final String key = instanceKey(event.getHost(), who.instance());
    final InstanceState state = byInstance.get(who.instance());
    if (state.lastKill != null && state.lastKill.sameKill(event)) {
      // a kill read back from the kernel log by a restarted collector, already judged
      LOG.debug("{} {}: kill of pid {} already recorded", event.getHost(), who.instance(), event.getVictimPid());
      return;
    }
    InstanceTracker.kill(state, event, who, config);
    history.kill(event, who.instance(), who.role(), state);
    final InstanceSnapshot latest = state.latest();
    if (latest != null) {
      final InstanceSnapshot at = latest.at(Math.max(latest.timestampMs(), event.getTimestampMs()));
      final Detector kill = new KernelOomKillDetector();
      final List<Finding> findings = new ArrayList<>();
      kill.evaluate(state, at, config).ifPresent(findings::add);
      emit(step(event.getHost(), who.instance(), EnumSet.of(AlertType.KERNEL_OOM_KILL), findings, at.timestampMs()), recordTs, state);
    }
    instances.put(key, state);
  }

  /**
   * A fork the collector's guard ended: not a kill. Its instance is the one the collector named (the
   * sample it verified the server by), on the host the event came from.
   */
  private void onForkAborted(final KernelEvent event, final long recordTs) {
    if (event.getForkAbort() == null) {
      LOG.warn("FORK_ABORTED from {} without its forkAbort: ignored", event.getHost());
      return;
    }
    final String key = instanceKey(event.getHost(), event.getForkAbort().getInstance());
    final InstanceState state = instances.get(key);
    if (state == null) {
      LOG.warn("FORK_ABORTED on {} for unknown instance {}", event.getHost(), event.getForkAbort().getInstance());
      return;
    }
    state.lastAbort = AbortRecord.of(event);
    // the fork it ended needed at least what the guard projected: counted so, as a killed one is
    final long baseline = state.forkBaseline != null ? state.forkBaseline
        : state.lastQuietPhysical != null ? state.lastQuietPhysical : 0;
    state.sizing.forkKilled(event.getTimestampMs(), event.getForkAbort().getForkKind(),
        state.latest() == null ? null : state.latest().usedMemory(),
        Math.max(0, event.getForkAbort().getProjectedBytes() - baseline), config.sizingWindow().toMillis());
    final InstanceSnapshot latest = state.latest();
    if (latest != null) {
      final InstanceSnapshot at = latest.at(Math.max(latest.timestampMs(), event.getTimestampMs()));
      final List<Finding> findings = new ArrayList<>();
      new dev.oomwatch.detect.ForkAbortedDetector().evaluate(state, at, config).ifPresent(findings::add);
      emit(step(event.getHost(), event.getForkAbort().getInstance(), EnumSet.of(AlertType.FORK_ABORTED), findings,
          at.timestampMs()), recordTs, state);
    }
    instances.put(key, state);
  }

  /**
   * Writes the state through when a crash must not lose the step (a transition, a new instance, or
   * anything during a fork, the seconds that end in kills), else as a routine change.
   */
  private void save(final String key, final InstanceState state, final List<Object> before, final boolean forking) {
    if (before == null || forking || !before.equals(state.transitions())) {
      instances.put(key, state);
    } else {
      instances.putRoutine(key, state, context.currentSystemTimeMs());
    }
  }

  private void judge(final InstanceState state, final InstanceSnapshot snapshot, final Set<AlertType> types,
      final long recordTs, final boolean fromRedis) {
    final boolean wasForking = state.forkStartMs != null;
    InstanceTracker.observe(state, snapshot, config);
    final String key = instanceKey(snapshot.host(), snapshot.instance());
    metrics.snapshot(key, snapshot, dev.oomwatch.sizing.Sizing.of(state.sizing, snapshot),
        context.currentSystemTimeMs());
    // A Redis sample's snapshot already carries the kernel view of its time: the timeline takes
    // those, plus the kernel's own looks while a fork runs (its 200 ms detail), not every host sample.
    if (fromRedis || snapshot.forking()) {
      history.snapshot(key, snapshot, state, !wasForking && state.forkStartMs != null);
    }
    final List<Finding> findings = new ArrayList<>();
    for (final Detector detector : detectors) {
      if (types.contains(detector.type())) {
        detector.evaluate(state, snapshot, config).ifPresent(findings::add);
      }
    }
    // labelled from this state: a new instance's is not in the store until the step is saved
    emit(step(snapshot.host(), snapshot.instance(), types, findings, snapshot.timestampMs()), recordTs, state);
  }

  private void judgeHost(final String host, final KernelView view, final HostWindow window,
      final dev.oomwatch.detect.HostInstances instances, final long nowMs, final long recordTs) {
    final List<Finding> findings = new ArrayList<>();
    if (view != null) {
      for (final HostDetector detector : hostDetectors) {
        detector.evaluate(view, instances, config).ifPresent(findings::add);
      }
    }
    UnattributedKillDetector.evaluate(window.unattributedKillMs(), window.unattributedKill(), nowMs, config)
        .ifPresent(findings::add);
    emit(step(host, null, HOST_TYPES, findings, nowMs), recordTs);
  }

  private List<Alert> step(final String host, final String instance, final Set<AlertType> types,
      final List<Finding> findings, final long nowMs) {
    // Nearly every step of a healthy fleet: nothing found, nothing live, so nothing can change.
    if (findings.isEmpty() && liveView(host, instance).isEmpty()) {
      return List.of();
    }
    final Map<AlertType, LiveAlert> live = liveAlerts(host, instance);
    final Map<AlertType, LiveAlert> before = new EnumMap<>(AlertType.class);
    before.putAll(live);
    final List<Alert> events = AlertLifecycle.step(host, instance, types, findings, live, nowMs, config.resolveAfter());
    saveLive(host, instance, before, live);
    return events;
  }

  /**
   * Resolves the alerts of instances and hosts gone silent. Only what has a live alert can need it,
   * so this walks the live alerts (few), not every instance and host: a full scan of the stores
   * every 10 s stalled processing for a noticeable moment at thousands of hosts per task.
   */
  private void resolveStale(final long wallClockMs) {
    final long stale = config.staleAfter().toMillis();
    final Set<String> prefixes = new LinkedHashSet<>();
    try (KeyValueIterator<String, LiveAlert> it = alerts.all()) {
      while (it.hasNext()) {
        final String key = it.next().key;
        prefixes.add(key.substring(0, key.lastIndexOf('|') + 1));
      }
    }
    for (final String prefix : prefixes) {
      final String host = prefix.substring(0, prefix.indexOf('|'));
      final String instance = prefix.substring(prefix.indexOf('|') + 1, prefix.length() - 1);
      if (!instance.isEmpty()) {
        final InstanceState state = instances.get(instanceKey(host, instance));
        if (state == null || wallClockMs - state.lastSeenMs > stale) {
          resolveAll(host, instance, "no samples for " + stale / 1000 + " s", wallClockMs);
        }
      } else {
        final HostWindow window = hosts.get(host);
        final KernelView latest = window == null ? null : window.latest();
        final long last = Math.max(latest == null ? 0 : latest.timestampMs(),
            window == null || window.unattributedKillMs() == null ? 0 : window.unattributedKillMs());
        if (wallClockMs - last > stale) {
          resolveAll(host, null, "no kernel samples for " + stale / 1000 + " s", wallClockMs);
        }
      }
    }
  }

  private void resolveAll(final String host, final String instance, final String why, final long nowMs) {
    final Map<AlertType, LiveAlert> live = liveAlerts(host, instance);
    if (live.isEmpty()) {
      return;
    }
    final Map<AlertType, LiveAlert> before = new EnumMap<>(AlertType.class);
    before.putAll(live);
    final List<Alert> events = AlertLifecycle.resolveAll(live, nowMs, why);
    saveLive(host, instance, before, live);
    LOG.info("{} {}: {} alert(s) resolved, {}", host, instance == null ? "(host)" : instance, events.size(), why);
    emit(events, nowMs);
  }

  private void emit(final List<Alert> events, final long recordTs) {
    emit(events, recordTs, null);
  }

  /** {@code state}: the instance's, when the caller holds it (else it is read from the store). */
  private void emit(final List<Alert> events, final long recordTs, final InstanceState state) {
    for (final Alert alert : events) {
      labelWithPod(alert, state);
      final long ts = Math.max(recordTs, 0);
      context.forward(new Record<>(alert.getHost(), alert, ts), OomwatchTopology.ALERTS_SINK);
      final String key = alertKey(alert.getHost(), alert.getInstance(), alert.getType());
      context.forward(new Record<>(key, alert, ts), OomwatchTopology.ALERT_STATE_SINK);
      context.forward(new Record<>(alert.getHost(), (Object) RecordJson.toJsonLine(alert), ts),
          OomwatchTopology.ALERTS_JSON_SINK);
      metrics.alert(key, alert);
      history.alert(alert, key);
      if (alert.getSeverity() != dev.oomwatch.schema.Severity.INFO) {
        ALERT_LOG.info("alert {} {} {} {}: {}", alert.getStatus(), alert.getSeverity(), alert.getType(),
            alert.getInstance() == null ? alert.getHost() : alert.getInstance(), alert.getSummary());
      }
    }
  }

  /** A copy the caller may change (the lifecycle does); {@link #saveLive} writes it back. */
  private Map<AlertType, LiveAlert> liveAlerts(final String host, final String instance) {
    final Map<AlertType, LiveAlert> copy = new EnumMap<>(AlertType.class);
    copy.putAll(liveView(host, instance));
    return copy;
  }

  /** The live alerts as cached, read from the store on first use: not to be changed. */
  private Map<AlertType, LiveAlert> liveView(final String host, final String instance) {
    final String prefix = alertPrefix(host, instance);
    Map<AlertType, LiveAlert> live = liveCache.get(prefix);
    if (live == null) {
      live = new EnumMap<>(AlertType.class);
      try (KeyValueIterator<String, LiveAlert> it = alerts.prefixScan(prefix, KEYS)) {
        while (it.hasNext()) {
          final LiveAlert alert = it.next().value;
          live.put(alert.type(), alert);
        }
      }
      liveCache.put(prefix, live);
    }
    return live;
  }

  private void saveLive(final String host, final String instance, final Map<AlertType, LiveAlert> before,
      final Map<AlertType, LiveAlert> after) {
    for (final AlertType type : before.keySet()) {
      if (!after.containsKey(type)) {
        alerts.delete(alertKey(host, instance, type));
      }
    }
    after.forEach((type, alert) -> {
      if (!alert.equals(before.get(type))) {
        alerts.put(alertKey(host, instance, type), alert);
      }
    });
    final Map<AlertType, LiveAlert> cached = new EnumMap<>(AlertType.class);
    cached.putAll(after);
    liveCache.put(alertPrefix(host, instance), cached);
  }

  /** An instance's alert names its pod and container, where the collector knew them. */
  private void labelWithPod(final Alert alert, final InstanceState held) {
    if (alert.getInstance() == null) {
      // a host's alert: the cluster its kernel samples say
      final HostWindow window = hosts.get(alert.getHost());
      final KernelView view = window == null ? null : window.latest();
      alert.setCluster(view == null ? null : view.cluster());
      return;
    }
    final InstanceState state = held != null ? held : instances.get(instanceKey(alert.getHost(), alert.getInstance()));
    final InstanceSnapshot latest = state == null ? null : dev.oomwatch.detect.KernelOomKillDetector.named(state, state.latest());
    if (latest != null) {
      alert.setPodName(latest.podName());
      alert.setPodNamespace(latest.podNamespace());
      alert.setContainerName(latest.containerName());
      alert.setCluster(latest.cluster());
    }
  }

  private Map<String, InstanceState> instancesOf(final String host) {
    final Map<String, InstanceState> map = new LinkedHashMap<>();
    final Set<String> known = hostInstances.get(host);
    if (known != null) {
      for (final String key : known) {
        final InstanceState state = instances.get(key);
        if (state != null) {
          map.put(key, state);
        }
      }
      return map;
    }
    try (KeyValueIterator<String, InstanceState> it = instances.store().prefixScan(host + "|", KEYS)) {
      while (it.hasNext()) {
        final KeyValue<String, InstanceState> kv = it.next();
        map.put(kv.key, kv.value);
      }
    }
    hostInstances.put(host, new LinkedHashSet<>(map.keySet()));
    return map;
  }

  private static Set<AlertType> typesOf(final List<Detector> detectors) {
    final Set<AlertType> types = EnumSet.noneOf(AlertType.class);
    detectors.forEach(d -> types.add(d.type()));
    return Collections.unmodifiableSet(types);
  }

  /** The instance's key in the stores: the history's own, so one string serves both. */
  static String instanceKey(final String host, final String instance) {
    return dev.oomwatch.history.HistoryStores.key(host, instance);
  }

  static String alertPrefix(final String host, final String instance) {
    return host + "|" + (instance == null ? "" : instance) + "|";
  }

  static String alertKey(final String host, final String instance, final AlertType type) {
    return alertPrefix(host, instance) + type;
  }

  private static InstanceState orNew(final InstanceState state) {
    return state == null ? new InstanceState() : state;
  }

  private static HostWindow orEmpty(final HostWindow window) {
    return window == null ? HostWindow.empty() : window;
  }
}
