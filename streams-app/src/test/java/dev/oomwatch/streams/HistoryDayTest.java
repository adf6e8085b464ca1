package dev.oomwatch.streams;

import static dev.oomwatch.streams.Series.MB;
import static dev.oomwatch.streams.Series.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.history.BucketView;
import dev.oomwatch.history.HistoryConfig;
import dev.oomwatch.history.HistoryStores;
import dev.oomwatch.history.ResolutionSpan;
import dev.oomwatch.history.RollupPage;
import dev.oomwatch.history.RollupPageSerde;
import dev.oomwatch.history.TimelinePoint;
import dev.oomwatch.query.HistoryReader;
import dev.oomwatch.query.Incident;
import dev.oomwatch.query.Timeline;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.Test;

/**
 * A day of one instance's samples (simulated time, one a second) with a BGSAVE every two hours,
 * one-second spikes in between, and a fork that ends in a kernel OOM kill, through the production
 * topology; then the day read back as the API reads it.
 */
class HistoryDayTest {
  private static final long HOUR = 3_600_000;
  private static final long DAY = 24 * HOUR;
  private static final HistoryConfig HISTORY = HistoryConfig.defaults();
  private static final long KILL = T0 + 18 * HOUR + 45 * 60_000;

  /** What the test sent that the timeline must show: a Redis sample's used_memory, or a look into a fork. */
  private record Sent(long ts, Long usedMemory, boolean redis) {}

  /** A fork as the test made it: first and last forking sample. */
  private record Fork(long startMs, long endMs) {}

  @Test
  void aDayKeepsForksAndTheKillAtFullResolutionAndEveryOtherBucketsTrueMinMaxAndLast() {
    final Series s = new Series("day-01", 6379, "/kubepods/burstable/podday/redis", 4_000);
    final Random random = new Random(7);
    final TreeMap<Long, Sent> sent = new TreeMap<>();
    final List<Fork> forks = new ArrayList<>();
    try (TopologyHarness t = new TopologyHarness(Map.of(), T0)) {
      long used = 600;
      long ts = T0;
      while (ts < T0 + DAY) {
        final boolean forkNow = (ts - T0) % (2 * HOUR) == 30 * 60_000 || ts == KILL - 15_000;
        if (forkNow) {
          ts = fork(t, s, sent, forks, ts, used, ts == KILL - 15_000);
          continue;
        }
        used = Math.max(400, Math.min(800, used + random.nextInt(3) - 1));
        // a one-second spike every 37 minutes: the bucket's maximum must keep it
        final long shown = (ts - T0) % (37 * 60_000) == 11_000 ? used + 500 : used;
        t.send(s.redis(ts, shown, shown + 40, false, null));
        sent.put(ts, new Sent(ts, shown * MB, true));
        t.send(s.kernel(ts + 500, shown + 40, null, 0, shown + 60));
        ts += 1_000;
      }
      final long end = ts;

      final HistoryReader reader = new HistoryReader(HISTORY, new HistoryReader.WindowStores() {
        @Override
        public <V> ReadOnlyWindowStore<String, V> get(final String name) {
          return t.driver.getWindowStore(name);
        }
      });
      final long from = T0 + 30 * 60_000;
      final Timeline day = reader.timeline(s.host, s.instance, from, end);

      final Map<Long, TimelinePoint> points = new TreeMap<>();
      day.points().forEach(p -> points.put(p.timestampMs(), p));
      // every fork, from a minute before it to a minute after it ended, and the kill's incident span
      final List<long[]> spans = new ArrayList<>();
      forks.forEach(f -> spans.add(new long[] {f.startMs() - 60_000, f.endMs() + 60_000}));
      spans.add(new long[] {KILL - 5 * 60_000, KILL + 2 * 60_000});
      spans.add(new long[] {end - 14 * 60_000, end}); // the recent past
      int inSpans = 0;
      for (final long[] span : spans) {
        for (final Sent x : sent.subMap(Math.max(span[0], from), true, span[1], true).values()) {
          assertThat(points).as("a sample at %d, inside a fork, kill or recent span", x.ts()).containsKey(x.ts());
          inSpans++;
        }
      }
      assertThat(forks).hasSize(13);
      assertThat(inSpans).isGreaterThan(13 * 120);

      // every other bucket: the true minimum, maximum and last of what fell in it
      final long bucket = HISTORY.bucket().toMillis();
      assertThat(day.buckets()).hasSizeGreaterThan(7_000);
      final Set<Long> inBuckets = new HashSet<>();
      for (final BucketView b : day.buckets()) {
        final List<Sent> in = new ArrayList<>(sent.subMap(b.fromMs(), true, b.toMs(), false).values());
        assertThat(b.toMs() - b.fromMs()).isEqualTo(bucket);
        assertThat(in).as("samples of the bucket at %d", b.fromMs()).hasSize(b.samples());
        assertThat(in).as("a bucket outside every span holds Redis samples only").allMatch(Sent::redis)
            .allMatch(x -> x.usedMemory() != null);
        final BucketView.Range usedMemory = b.figures().get("usedMemory");
        assertThat(usedMemory.min()).isEqualTo(in.stream().mapToLong(Sent::usedMemory).min().orElseThrow());
        assertThat(usedMemory.max()).isEqualTo(in.stream().mapToLong(Sent::usedMemory).max().orElseThrow());
        assertThat(usedMemory.last()).isEqualTo(in.get(in.size() - 1).usedMemory());
        in.forEach(x -> inBuckets.add(x.ts()));
      }
      // no seam: every sample is served exactly once, at one resolution or the other
      for (final Sent x : sent.subMap(HISTORY.bucketEnd(from), true, end, false).values()) {
        assertThat(points.containsKey(x.ts()) ^ inBuckets.contains(x.ts())).as("sample at %d served once", x.ts()).isTrue();
      }
      // the spikes survived the roll-up
      final long spikes = day.buckets().stream().filter(b -> b.figures().get("usedMemory").max()
          - b.figures().get("usedMemory").min() >= 400 * MB).count();
      assertThat(spikes).isGreaterThanOrEqualTo(30);
      // the spans say which stretch is which, and cover every point and bucket
      for (final ResolutionSpan span : day.resolution()) {
        assertThat(span.resolution()).isIn(ResolutionSpan.FULL, "10s");
      }
      assertThat(day.resolution()).anyMatch(r -> r.resolution().equals("10s"));
      for (final BucketView b : day.buckets()) {
        assertThat(day.resolution()).anyMatch(r -> r.resolution().equals("10s") && r.fromMs() <= b.fromMs() && b.toMs() <= r.toMs());
      }
      for (final long p : points.keySet()) {
        assertThat(day.resolution()).anyMatch(r -> r.resolution().equals(ResolutionSpan.FULL) && r.fromMs() <= p && p <= r.toMs());
      }

      // the incident: the five minutes before the kill at full resolution
      final List<Incident> incidents = reader.incidents(KILL - 60_000, KILL + 60_000);
      assertThat(incidents).hasSize(1);
      final Set<Long> incident = new HashSet<>();
      incidents.get(0).snapshots().forEach(p -> incident.add(p.timestampMs()));
      for (final Sent x : sent.subMap(KILL - 5 * 60_000, true, KILL, true).values()) {
        assertThat(incident).as("incident snapshot at %d", x.ts()).contains(x.ts());
      }

      final WindowStore<String, RollupPage> rollup = t.driver.getWindowStore(HistoryStores.TIMELINE_ROLLUP);
      final WindowStore<String, dev.oomwatch.history.DetailChunk> detail = t.driver.getWindowStore(HistoryStores.TIMELINE_DETAIL);
      long pageBytes = 0;
      int pages = 0;
      try (KeyValueIterator<org.apache.kafka.streams.kstream.Windowed<String>, RollupPage> it = rollup.all()) {
        while (it.hasNext()) {
          pageBytes += new RollupPageSerde().serializer().serialize("", it.next().value).length;
          pages++;
        }
      }
      int detailRows = 0;
      int chunks = 0;
      try (KeyValueIterator<org.apache.kafka.streams.kstream.Windowed<String>, dev.oomwatch.history.DetailChunk> it = detail.all()) {
        while (it.hasNext()) {
          detailRows += it.next().value.points().size();
          chunks++;
        }
      }
      System.out.printf("[history day] %,d samples sent; served %,d full-resolution points and %,d buckets in %d spans; "
              + "stored %d pages (%,d bytes, %.1f per bucket) and %,d detail snapshots in %d chunks%n", sent.size(),
          points.size(), day.buckets().size(), day.resolution().size(), pages, pageBytes,
          (double) pageBytes / day.buckets().size(), detailRows, chunks);
    }
  }

  /** A 20-second BGSAVE, the kernel looking every 200 ms; the last one ends in the kill of the server. */
  private static long fork(final TopologyHarness t, final Series s, final TreeMap<Long, Sent> sent, final List<Fork> forks,
      final long start, final long used, final boolean killed) {
    final long child = s.pid + 1_000 + forks.size();
    long ts = start;
    for (int second = 0; second < 20; second++, ts += 1_000) {
      t.send(s.redis(ts, used, used + 40, true, second * 5.0));
      sent.put(ts, new Sent(ts, used * MB, true));
      for (int look = 1; look <= 4; look++) {
        final long at = ts + look * 200L;
        t.send(s.kernel(at, used + 40 + second * 10, child, 10 + second * 10, used + 60 + second * 20));
        sent.put(at, new Sent(at, null, false));
      }
      if (killed && ts >= KILL - 1_000) {
        forks.add(new Fork(start, ts));
        t.send(s.kill(KILL, s.pid, used + 40 + second * 10));
        for (ts = KILL + 1_000; ts < KILL + 6_000; ts += 1_000) {
          t.send(s.unreachable(ts));
          sent.put(ts, new Sent(ts, null, true));
        }
        s.restart(ts, s.pid + 100);
        return ts;
      }
    }
    forks.add(new Fork(start, ts - 1_000));
    return ts;
  }
}
