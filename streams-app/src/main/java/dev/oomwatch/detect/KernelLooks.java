package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.join.KernelView;
import dev.oomwatch.join.SnapshotBuilder;

/**
 * Which kernel looks (host samples) are judged by themselves, between an instance's Redis samples,
 * and as what snapshot. Pure: the latest snapshot and the look in, a snapshot to judge or none out.
 *
 * <p>A look newer than the latest snapshot is judged while a fork runs (the kernel sees the child
 * before Redis reports the save, and its end), when Redis has not been heard within the join's
 * reach, when the latest snapshot had no kernel view (its Redis sample was read before the host
 * sample of its time), when the instance is near its limit, or when its physical memory moved by a
 * hundredth of the limit. Otherwise the next Redis sample brings this view, joined, within a
 * second: judging every look of every quiet instance twice was half of the stream thread's time
 * (measured).
 *
 * <p>A look older than the latest snapshot still counts while Redis says a fork runs, when it is
 * newer than the view that snapshot was joined with: the three topics are read independently, so
 * a fork's looks can come after the Redis samples of the same seconds, which were then joined with
 * older views (from before the fork, at worst). It is judged at the latest snapshot's time, so time
 * never runs back, and never once Redis reported the fork ended, so a late look at the child cannot
 * reopen it.
 */
public final class KernelLooks {
  private KernelLooks() {}

  /**
   * The snapshot to judge for {@code view}, or null to wait for the next Redis sample.
   * {@code latest} is the instance's latest snapshot, {@code lastRedis} the Redis figures it holds.
   */
  public static InstanceSnapshot toJudge(final InstanceSnapshot latest, final InstanceSnapshot lastRedis,
      final KernelView view, final DetectionConfig config) {
    if (view.timestampMs() > latest.timestampMs()) {
      final InstanceSnapshot look = SnapshotBuilder.withKernel(lastRedis, view, view.timestampMs());
      return matters(latest, look, view, config) ? look : null;
    }
    return lateForkLook(latest, view, config) ? SnapshotBuilder.withKernel(lastRedis, view, latest.timestampMs()) : null;
  }

  private static boolean matters(final InstanceSnapshot latest, final InstanceSnapshot look, final KernelView view,
      final DetectionConfig config) {
    if (look.forking() || latest.forking()
        || view.timestampMs() - latest.timestampMs() > config.joinTolerance().toMillis()
        || (latest.kernelTimestampMs() == null && look.kernelTimestampMs() != null)) {
      return true;
    }
    final Long now = look.physical();
    final Long before = latest.physical();
    if (now == null) {
      return false;
    }
    final Long limit = look.limit();
    if (before == null || (limit != null && now >= config.rssNearLimit() * limit)) {
      return true;
    }
    final long step = limit != null ? limit / 100 : config.forkSpikeMinBytes();
    return Math.abs(now - before) >= step;
  }

  private static boolean lateForkLook(final InstanceSnapshot latest, final KernelView view, final DetectionConfig config) {
    final Long joined = latest.kernelTimestampMs();
    return latest.redisForking() && (joined == null || view.timestampMs() > joined)
        && latest.timestampMs() - view.timestampMs() <= config.joinTolerance().toMillis();
  }
}
