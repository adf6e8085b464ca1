package dev.oomwatch.collector.kernel;

import dev.oomwatch.collector.CollectorMetrics;
import dev.oomwatch.schema.KernelEvent;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows /dev/kmsg on its own thread and hands each OOM kill to {@code sink} the moment its
 * {@code Killed process} record is read. The log is read from its start; records stamped before
 * the watcher started are skipped, except the kills of the last {@code replay} window (a kill
 * while the collector was starting or restarting), which are published unless {@code published}
 * already holds them (read back from the kernel-events topic on the watcher's thread, so a restart
 * publishes nothing twice). Each read() of /dev/kmsg returns one record; a record overwritten
 * before it was read (EPIPE) is skipped, counted, and reading goes on.
 */
public final class KernelLogWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KernelLogWatcher.class);

  private final Path kmsg;
  private final OomKillAssembler assembler;
  private final Consumer<KernelEvent> sink;
  private final CollectorMetrics metrics;
  private final long startMonotonicUs;
  private final long replayFromUs;
  private final Supplier<Set<String>> published;
  private final String bootId;
  private Set<String> alreadyPublished;
  private final Thread thread;
  private final Thread flusher;
  /** When the reader last had a record (System.nanoTime): a held kill is whole after a quiet spell. */
  private volatile long lastReadNanos = System.nanoTime();
  /** The reader waits in read(): the kernel has nothing more for it (not merely a slow reader). */
  private volatile boolean waiting;
  /** Since when a kill is held (System.nanoTime), 0 when none: held at most a second whatever comes. */
  private long holdingSinceNanos;
  private volatile boolean running = true;
  private volatile InputStream in;

  public KernelLogWatcher(
      final Path kmsg, final String host, final boolean fromBoot, final Consumer<KernelEvent> sink,
      final CollectorMetrics metrics) {
    this(kmsg, host, fromBoot, Duration.ZERO, Set::of, null, sink, metrics);
  }

  /**
   * {@code replay}: how far back kills before the start are published; {@code published}: the keys
   * ({@link #key}) of kills already on the topic; {@code bootId}: this boot's id (null: unknown).
   */
  public KernelLogWatcher(
      final Path kmsg, final String host, final boolean fromBoot, final Duration replay,
      final Supplier<Set<String>> published, final String bootId, final Consumer<KernelEvent> sink,
      final CollectorMetrics metrics) {
    this.kmsg = kmsg;
    this.assembler = new OomKillAssembler(host);
    this.sink = sink;
    this.metrics = metrics;
    this.published = published;
    this.bootId = bootId;
    this.startMonotonicUs = fromBoot ? 0 : monotonicUs();
    this.replayFromUs = Math.max(0, startMonotonicUs - replay.toNanos() / 1000);
    this.thread = new Thread(this::run, "oomwatch-kmsg");
    this.thread.setDaemon(true);
    this.flusher = new Thread(this::flushWhenQuiet, "oomwatch-kmsg-flush");
    this.flusher.setDaemon(true);
  }

  /** True when this process may read the kernel log (root, or CAP_SYSLOG, and no restriction). */
  public static boolean readable(final Path kmsg) {
    try (InputStream test = new FileInputStream(kmsg.toFile())) {
      return true;
    } catch (IOException | SecurityException e) {
      return false;
    }
  }

  public KernelLogWatcher start() {
    thread.start();
    flusher.start();
    return this;
  }

  /** Publishes a held kill once the log has been quiet for the hold (its group kill's lines, if any, are in). */
  private void flushWhenQuiet() {
    while (running) {
      sleep(OomKillAssembler.HOLD_MS / 2);
      try {
        flushIfDue();
      } catch (RuntimeException e) {
        metrics.readError(kmsg + ": could not publish a kill");
        LOG.warn("could not publish a kernel OOM kill: {}", e.toString());
      }
    }
  }

  /**
   * Publishes the held kill when the log is quiet or it has been held a second, judged under the
   * reader's lock: a kill the reader holds after this check began is not flushed by it.
   */
  private synchronized void flushIfDue() {
    final long now = System.nanoTime();
    final boolean quiet = waiting && now - lastReadNanos >= OomKillAssembler.HOLD_MS * 1_000_000;
    if (quiet || heldLongerThan(now, 1_000_000_000L)) {
      flush();
    }
  }

  /** Publishes the kill held for a group kill's lines, if any (the flusher, tests). */
  synchronized void flush() {
    holdingSinceNanos = 0;
    assembler.flush().ifPresent(this::publish);
  }

  private synchronized boolean heldLongerThan(final long now, final long nanos) {
    return holdingSinceNanos != 0 && now - holdingSinceNanos >= nanos;
  }

  /** Whether its thread still reads the kernel log (or was closed): an Error ends it, and /healthz says so. */
  public boolean alive() {
    return thread.isAlive() || !running;
  }

  private void run() {
    try {
      read();
    } catch (Error e) {
      LOG.error("the kernel-log loop ended with {}; /healthz now says so, for the process to be restarted", e.toString());
      throw e;
    }
  }

  private void read() {
    final byte[] buffer = new byte[16 * 1024];
    long backoffMs = 500;
    while (running) {
      try (InputStream stream = new FileInputStream(kmsg.toFile())) {
        in = stream;
        backoffMs = 500;
        while (running) {
          final int n;
          try {
            waiting = true;
            n = stream.read(buffer);
          } catch (IOException e) {
            waiting = false;
            if (String.valueOf(e.getMessage()).contains("Broken pipe")) {
              metrics.readError(kmsg + ": records overwritten before read");
              continue;
            }
            throw e;
          }
          if (n < 0) {
            break;
          }
          waiting = false;
          lastReadNanos = System.nanoTime();
          try {
            handle(new String(buffer, 0, n, StandardCharsets.UTF_8));
          } catch (RuntimeException e) {
            // a record this reader did not foresee: counted, and the next one read
            metrics.readError(kmsg + ": unreadable record");
            LOG.warn("could not read a kernel log record: {}", e.toString());
          }
        }
      } catch (IOException e) {
        if (!running) {
          return;
        }
        metrics.readError(kmsg + ": " + e.getMessage());
        LOG.warn("reading {} failed ({}); retrying in {} ms", kmsg, e.getMessage(), backoffMs);
        sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
    }
  }

  synchronized void handle(final String raw) {
    final KmsgRecord record = KmsgRecord.parse(raw);
    if (record == null) {
      if (!raw.isEmpty() && raw.charAt(0) != ' ') {
        metrics.readError(kmsg + ": unknown record format");
      }
      return;
    }
    if (record.monotonicUs() < replayFromUs) {
      return;
    }
    final long wallMs = System.currentTimeMillis() - (monotonicUs() - record.monotonicUs()) / 1000;
    try {
      final var released = assembler.accept(record, wallMs);
      released.forEach(this::publish);
      if (!assembler.holding()) {
        holdingSinceNanos = 0;
      } else if (holdingSinceNanos == 0 || !released.isEmpty()) {
        // a kill held from now: the one released (if any) had the earlier clock
        holdingSinceNanos = System.nanoTime();
      }
    } catch (RuntimeException e) {
      // A line that matched a pattern but not our assumptions: count it, never stop watching.
      metrics.readError(kmsg + ": unparsable OOM line");
      LOG.warn("could not parse kernel log record {}: {}", record.sequence(), e.toString());
    }
  }

  private void publish(final OomKillAssembler.Assembled kill) {
    final KernelEvent event = kill.event();
    final boolean replaying = kill.monotonicUs() < startMonotonicUs;
    event.setBootId(bootId);
    if (replaying) {
      if (alreadyPublished().contains(key(event))) {
        metrics.kernelReplaySkipped.incrementAndGet();
        return;
      }
      event.setReplayed(true);
      metrics.kernelReplayed.incrementAndGet();
    }
    metrics.kernelEvents.incrementAndGet();
    metrics.kernelKills.incrementAndGet();
    LOG.warn("kernel OOM kill{}: pid {} ({}) in {}{}", replaying ? " (before the collector started, read back)" : "",
        event.getVictimPid(), event.getVictimComm(), event.getTaskMemcg(), event.getGroupKill()
            ? ", and with it every task of " + event.getGroupMemcg() + " (memory.oom.group): "
                + event.getGroupVictims().size() + " more" : "");
    sink.accept(event);
  }

  /** What names a kill on its host across collector restarts: boot id and kernel log sequence. */
  public static String key(final KernelEvent event) {
    return event.getBootId() + "/" + event.getKmsgSequence();
  }

  private Set<String> alreadyPublished() {
    if (alreadyPublished == null) {
      alreadyPublished = published.get();
    }
    return alreadyPublished;
  }

  /** This boot's id: kernel log sequence numbers start again at every boot. */
  public static String bootId(final Path proc) {
    try {
      return java.nio.file.Files.readString(proc.resolve("sys/kernel/random/boot_id")).trim();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The kernel's log clock; on Linux the JVM's nanoTime is CLOCK_MONOTONIC, the same origin. */
  static long monotonicUs() {
    return System.nanoTime() / 1000;
  }

  private static void sleep(final long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      final InputStream stream = in;
      if (stream != null) {
        try {
          stream.close();
        } catch (IOException e) {
          // closing on shutdown: nothing to do
        }
      }
      try {
        thread.join(1_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } finally {
      // a kill held for its group's lines is published, not lost with the process
      flush();
    }
  }
}
