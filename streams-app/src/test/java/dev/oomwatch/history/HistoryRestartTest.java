package dev.oomwatch.history;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.detect.InstanceState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.Test;

/**
 * The pages and detail chunks a task holds in memory are lost when it stops in the middle of a
 * fork; the next owner, with the same stores, takes them up from the full-resolution store.
 */
class HistoryRestartTest {
  private static final long T = 1_795_000_200_000L; // on a page boundary
  private static final String KEY = "h|h:6379";
  private static final HistoryConfig CONFIG = HistoryConfig.defaults();

  private final MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
  private final WindowStore<String, TimelinePoint> full = store("timeline", CONFIG.full(), new TimelinePointSerde());
  private final WindowStore<String, DetailChunk> detail = store("detail", CONFIG.retention(), new DetailChunkSerde());
  private final WindowStore<String, RollupPage> pages = store("rollup", CONFIG.retention(), new RollupPageSerde());
  private final InstanceState state = new InstanceState();
  private final List<Long> sent = new ArrayList<>();

  private <V> WindowStore<String, V> store(final String name, final Duration retention, final Serde<V> serde) {
    final WindowStore<String, V> store = Stores.windowStoreBuilder(
        Stores.inMemoryWindowStore(name, retention, Duration.ofMillis(1), false), Serdes.String(), serde)
        .withLoggingDisabled().build();
    store.init(context.getStateStoreContext(), store);
    return store;
  }

  /** One task's memory over the shared stores. */
  private final class Task {
    final Rollups rollups = new Rollups(CONFIG, full, pages);
    final Details details = new Details(CONFIG, full, detail);

    void sample(final long ts, final boolean forking, final boolean forkStarted) {
      final TimelinePoint p = new TimelinePoint(ts, true, 100L + ts % 7, 120L, null, 120L, null, null, null, null, null,
          120L + (forking ? 50 : 0), 1_000L, forking);
      full.put(KEY, p, ts);
      rollups.add(KEY, p);
      details.snapshot(KEY, ts, state, forking, forkStarted);
      sent.add(ts);
    }
  }

  @Test
  void aTaskStoppedInTheMiddleOfAForkLosesNeitherItsDetailNorItsPages() {
    final Task before = new Task();
    for (long s = 0; s < 300; s++) {
      before.sample(T + s * 1_000, false, false);
    }
    state.forkStartMs = T + 300_000;
    for (long ms = 300_000; ms < 310_000; ms += 200) {
      before.sample(T + ms, true, ms == 300_000);
    }
    // the task stops here; the next owner starts with the stores and nothing in memory
    final Task after = new Task();
    for (long ms = 310_000; ms < 320_000; ms += 200) {
      after.sample(T + ms, true, false);
    }
    state.forkStartMs = null;
    state.lastForkEndMs = T + 320_000;
    state.lastForkDurationMs = 20_000L;
    for (long s = 320; s < 1_300; s++) {
      after.sample(T + s * 1_000, false, false);
    }
    after.rollups.flushBefore(Long.MAX_VALUE);
    after.details.flushBefore(Long.MAX_VALUE);

    // the fork's detail, from a minute before it to a minute after it ended, whole
    final TreeSet<Long> kept = new TreeSet<>();
    try (KeyValueIterator<Windowed<String>, DetailChunk> it = detail.all()) {
      it.forEachRemaining(kv -> kv.value.points().forEach(p -> kept.add(p.timestampMs())));
    }
    final List<Long> span = sent.stream().filter(ts -> ts >= T + 240_000 && ts < T + 390_000).toList();
    assertThat(kept).containsAll(span);
    assertThat(kept.first()).isEqualTo(T + 240_000);
    assertThat(kept.last()).isLessThan(T + 390_000);

    // every sample in exactly one bucket of the pages
    long samples = 0;
    try (KeyValueIterator<Windowed<String>, RollupPage> it = pages.all()) {
      while (it.hasNext()) {
        final KeyValue<Windowed<String>, RollupPage> page = it.next();
        for (final RollupBucket b : page.value.buckets()) {
          samples += b.samples();
          final long inBucket = sent.stream().filter(ts -> ts >= b.startMs() && ts < b.startMs() + 10_000).count();
          assertThat(b.samples()).as("bucket at %s", Instant.ofEpochMilli(b.startMs())).isEqualTo((int) inBucket);
        }
      }
    }
    assertThat(samples).isEqualTo(sent.size());
  }
}
