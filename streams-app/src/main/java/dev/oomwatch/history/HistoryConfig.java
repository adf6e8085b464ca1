package dev.oomwatch.history;

import dev.oomwatch.config.Settings;
import java.time.Duration;

/**
 * How much history the streams-app keeps and serves, and at what resolution. Keys: {@code history.<name>}.
 *
 * @param retention how long rolled-up timelines, the detail around forks and kills, kills and alert
 *     events are kept (and their changelogs); 24 h covers a night's incident the next morning
 * @param incidentBefore how far before a kill an incident's snapshots start (the fork that led to
 *     it usually began within a few minutes); kept at full resolution
 * @param incidentAfter how far after a kill they go on (the restart and its reload)
 * @param defaultSpan the timeline a request gets without from/to
 * @param full how long every snapshot is kept at full resolution (the recent past)
 * @param bucket the width of one rolled-up point beyond {@code full}: each figure's minimum,
 *     maximum and last in it, so a spike is never averaged away
 * @param page how many buckets of an instance are written as one record: a day is then a few
 *     hundred records per instance rather than thousands, which is what a restore pays for
 * @param forkBefore how much of the quiet before a fork is kept at full resolution with it (its baseline)
 * @param forkAfter how long after a fork ends its detail goes on (the copy-on-write pages freed)
 */
public record HistoryConfig(Duration retention, Duration incidentBefore, Duration incidentAfter, Duration defaultSpan,
    Duration full, Duration bucket, Duration page, Duration forkBefore, Duration forkAfter) {

  public HistoryConfig {
    if (bucket.toMillis() <= 0 || page.toMillis() % bucket.toMillis() != 0 || page.compareTo(bucket) < 0) {
      throw new IllegalArgumentException("history.page (" + page + ") must be a whole number of history.bucket ("
          + bucket + ")");
    }
    // An instance's unfinished page lives in memory and is rebuilt from the full-resolution store
    // after a restart: that store must still hold the whole page, and a bucket of lateness more.
    if (full.compareTo(page.plus(bucket.multipliedBy(2))) < 0) {
      throw new IllegalArgumentException("history.full (" + full + ") must hold a history.page (" + page
          + ") and two history.bucket more");
    }
    if (retention.compareTo(full) < 0) {
      throw new IllegalArgumentException("history.retention (" + retention + ") is shorter than history.full (" + full + ")");
    }
  }

  public static HistoryConfig from(final Settings s) {
    return new HistoryConfig(
        s.getDuration("history.retention", Duration.ofHours(24)),
        s.getDuration("history.incident.before", Duration.ofMinutes(5)),
        s.getDuration("history.incident.after", Duration.ofMinutes(2)),
        s.getDuration("history.default.span", Duration.ofHours(1)),
        s.getDuration("history.full", Duration.ofMinutes(15)),
        s.getDuration("history.bucket", Duration.ofSeconds(10)),
        s.getDuration("history.page", Duration.ofMinutes(10)),
        s.getDuration("history.fork.before", Duration.ofMinutes(1)),
        s.getDuration("history.fork.after", Duration.ofMinutes(1)));
  }

  public static HistoryConfig defaults() {
    return from(Settings.empty());
  }

  /** The start of the bucket holding {@code ms}. */
  public long bucketStart(final long ms) {
    return Math.floorDiv(ms, bucket.toMillis()) * bucket.toMillis();
  }

  /** The end (exclusive) of the bucket holding {@code ms}. */
  public long bucketEnd(final long ms) {
    return bucketStart(ms) + bucket.toMillis();
  }

  public long pageStart(final long ms) {
    return Math.floorDiv(ms, page.toMillis()) * page.toMillis();
  }
}
