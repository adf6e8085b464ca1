package dev.oomwatch.detect;

import dev.oomwatch.config.Settings;
import java.time.Duration;

/**
 * Every threshold and window of the detectors, in one place, with the field guide's values as
 * defaults (the comment on each says where the number comes from). Keys: {@code detect.<name>}.
 */
public record DetectionConfig(
    Duration joinTolerance,
    double cowLastRatio,
    double forkSpikeRatio,
    long forkSpikeMinBytes,
    double forkSpikeHeadroomShare,
    double forkImminentUsage,
    double rssNearLimit,
    double rssCritical,
    double fragmentationRatio,
    long fragmentationMinBytes,
    Duration fragmentationSustain,
    long clientOmemBytes,
    long forkSlowMs,
    int restartStormCount,
    Duration restartStormWindow,
    Duration killCausesRestartWithin,
    Duration eventHold,
    Duration resolveAfter,
    Duration staleAfter,
    double persistentDataCeiling,
    int history,
    Duration stateFlush,
    long replBacklogMinBytes,
    int fullSyncsCritical,
    Duration sizingWindow) {

  public static DetectionConfig defaults() {
    return from(Settings.empty());
  }

  public static DetectionConfig from(final Settings s) {
    return new DetectionConfig(
        // issue 5: the kernel view valid at a Redis sample, within 2 s either side
        s.getDuration("detect.join.tolerance", Duration.ofSeconds(2)),
        // guide: rdb_last_cow_size / aof_last_cow_size > 50% of used_memory
        s.getDouble("detect.cow.last.ratio", 0.5),
        // guide: "RSS doubles" during a fork; a 20% rise over the pre-fork baseline is already COW at work
        s.getDouble("detect.fork.spike.ratio", 0.2),
        // below 8 MB a rise is noise from allocator and page cache
        s.getLong("detect.fork.spike.min.bytes", 8L * 1024 * 1024),
        // and the rise must take a tenth of the headroom left under the limit, else it is harmless
        s.getDouble("detect.fork.spike.headroom.share", 0.1),
        // during a fork, usage at 90% of the limit leaves too little for the rest of the copy
        s.getDouble("detect.fork.imminent.usage", 0.9),
        // guide: used_memory_rss / limit > 0.75 on persistent instances that fork
        s.getDouble("detect.rss.near.limit", 0.75),
        s.getDouble("detect.rss.critical", 0.9),
        // guide: mem_fragmentation_ratio sustained above 1.5 on instances over 100 MB
        s.getDouble("detect.fragmentation.ratio", 1.5),
        s.getLong("detect.fragmentation.min.bytes", 100L * 1024 * 1024),
        s.getDuration("detect.fragmentation.sustain", Duration.ofMinutes(5)),
        // guide: any single client omem > 256 MB
        s.getLong("detect.client.omem.bytes", 256L * 1024 * 1024),
        // guide: latest_fork_usec > 500 ms
        s.getLong("detect.fork.slow.ms", 500),
        // issue 5: 3 restarts in 10 minutes
        s.getInt("detect.restart.storm.count", 3),
        s.getDuration("detect.restart.storm.window", Duration.ofMinutes(10)),
        // a restart within 10 minutes of a kill of the server is that kill's restart
        s.getDuration("detect.kill.restart.within", Duration.ofMinutes(10)),
        // a kill or restart stays FIRING this long after the last one, then resolves
        s.getDuration("detect.event.hold", Duration.ofMinutes(10)),
        // a condition must stay clear this long before its alert resolves (no flapping)
        s.getDuration("detect.resolve.after", Duration.ofSeconds(60)),
        // an instance silent this long has its alerts resolved as stale
        s.getDuration("detect.stale.after", Duration.ofMinutes(2)),
        // guide: on persistent instances treat 50% of available RAM as the ceiling for used_memory
        s.getDouble("detect.persistent.data.ceiling", 0.5),
        // snapshots kept in the instance's state (the timeline store keeps the history): the state is
        // read and written on every record, so it stays small; the fork baseline is kept by itself
        s.getInt("detect.history", 2),
        // a routine change of the state (the latest snapshot, the host's kernel views) is written
        // to the store and its changelog at most this late; transitions are written at once
        s.getDuration("detect.state.flush", Duration.ofSeconds(5)),
        // guide: repl-backlog-size of at least 100 MB, so a replica that drops out resyncs partially
        s.getLong("detect.repl.backlog.min.bytes", 100L * 1024 * 1024),
        // full syncs (each a fork) repeating: more than one in an hour
        s.getInt("detect.full.syncs.critical", 2),
        // the sizing advice's history: a week holds a weekly batch's forks and a weekday's peak
        s.getDuration("detect.sizing.window", Duration.ofDays(7)));
  }
}
