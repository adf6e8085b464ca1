package dev.oomwatch.sizing;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.join.RedisDetail;
import java.util.ArrayList;
import java.util.List;

/**
 * What an instance's sizing advice is computed from: its forks and the daily peaks of its quiet
 * samples over the window (default seven days). Bounded: at most {@link #MAX_FORKS} forks (the
 * worst kept when more must go; every fork counted in its day's {@link PeakDay}) and one
 * {@link PeakDay} a day: under 3 KB of the instance's state as JSON (SizingTest). Kept in the instance's state as
 * JSON; the tracker updates it, {@link Sizing} reads it. Pure.
 */
public final class SizingHistory {
  /** Below this much data an instance's resident memory is mostly fixed (the binary, the allocator's arenas). */
  public static final long RATIO_MIN_USED = 32L * 1024 * 1024;
  /** Only the worst of the window matters to the advice: these many are kept, their count by day. */
  static final int MAX_FORKS = 16;
  private static final long DAY_MS = 86_400_000L;

  public List<ForkSeen> forks = new ArrayList<>();
  public List<PeakDay> days = new ArrayList<>();
  /** used_memory when the running fork began, and what it is for (the first kind Redis said). */
  public Long forkUsedMemory;
  public String forkKind;
  /** The running fork was recorded already (the kernel killed it): its end is not a second fork. */
  public boolean forkRecorded;
  /** The last cgroup limit seen: a look without the kernel's side is still judged against it. */
  public Long cgroupLimit;
  /** Redis's cow figures of the running fork: last_cow_size as it began, current_cow_size at its peak. */
  public Long cowAtStart;
  public long cowPeak;
  /** An ended fork whose cow size Redis had not yet reported (its end and the cow size it began with). */
  public Long pendingEndMs;
  public long pendingCowAtStart;
  /** The window it was last pruned to (detect.sizing.window), for the advice to say. */
  public long windowMs = 7 * DAY_MS;

  /**
   * A sample taken while nothing forked: its figures raise the day's peaks. Resident memory per byte
   * of data is Redis's own (used_memory_rss against used_memory, read at one instant); other
   * processes' memory is the kernel's, only from a view within a second of the sample (a view two
   * seconds off during a fill would count the data that arrived in between as someone else's).
   */
  public void quiet(final InstanceSnapshot s, final long windowMs) {
    final Long used = s.usedMemory();
    if (used == null || used <= 0) {
      return;
    }
    if (s.cgroupLimit() != null) {
      cgroupLimit = s.cgroupLimit();
    }
    refine(s);
    final boolean closeView = s.kernelTimestampMs() != null && Math.abs(s.kernelTimestampMs() - s.timestampMs()) <= 1_000;
    final long other = closeView ? otherBytes(s) : 0;
    final Long resident = s.usedMemoryRss() != null ? s.usedMemoryRss()
        : closeView && s.physical() != null ? Math.max(0, s.physical() - other) : null;
    if (resident == null) {
      return;
    }
    final Double ratio = used >= RATIO_MIN_USED ? (double) resident / used : null;
    final long fixed = used < RATIO_MIN_USED ? Math.max(0, resident - used) : 0;
    final long buffers = buffers(s.detail());
    final long day = Math.floorDiv(s.timestampMs(), DAY_MS) * DAY_MS;
    final PeakDay last = days.isEmpty() ? null : days.get(days.size() - 1);
    if (last != null && last.dayStartMs() == day) {
      days.set(days.size() - 1, new PeakDay(day, max(last.residentRatio(), ratio), Math.max(last.fixedBytes(), fixed),
          Math.max(last.otherBytes(), other), Math.max(last.bufferBytes(), buffers), last.forks()));
    } else if (last == null || day > last.dayStartMs()) {
      days.add(new PeakDay(day, ratio, fixed, other, buffers, 0));
    }
    prune(s.timestampMs(), windowMs);
  }

  public void forkStarted(final InstanceSnapshot s) {
    forkUsedMemory = s.usedMemory();
    forkKind = s.detail() == null ? null : s.detail().forkKind();
    forkRecorded = false;
    cowAtStart = s.lastCowSize();
    cowPeak = s.currentCowSize() == null ? 0 : s.currentCowSize();
  }

  /** While it runs Redis may say later what the fork is for, and how much its child has copied. */
  public void forkRunning(final InstanceSnapshot s) {
    if (forkKind == null && s.detail() != null) {
      forkKind = s.detail().forkKind();
    }
    if (forkUsedMemory == null) {
      forkUsedMemory = s.usedMemory();
    }
    if (s.currentCowSize() != null) {
      cowPeak = Math.max(cowPeak, s.currentCowSize());
    }
  }

  /**
   * The running fork ended. What it copied is Redis's own count (its child's private dirty pages:
   * the peak of current_cow_size while it ran, and the last cow size it reports at the end) where
   * Redis gives one; the kernel's rise over the pre-fork baseline only where it does not, since that
   * rise also holds whatever the server allocated meanwhile. A fork whose end is seen before Redis
   * reports its cow size is recorded with what is known and corrected by the next sample that has it.
   */
  public void forkEnded(final long endMs, final long kernelRise, final Long lastCowSize, final long windowMs) {
    final boolean fresh = lastCowSize != null && lastCowSize > 0 && !lastCowSize.equals(cowAtStart);
    final long redis = Math.max(cowPeak, fresh ? lastCowSize : 0);
    final int before = forks.size();
    final Long startCow = cowAtStart;
    record(endMs, redis > 0 ? redis : kernelRise, false, windowMs);
    if (!fresh && forks.size() > before) {
      pendingCowAtStart = startCow == null ? -1L : startCow;
      pendingEndMs = endMs;
    }
  }

  /** A later sample with the ended fork's own cow size corrects its record. */
  private void refine(final InstanceSnapshot s) {
    if (pendingEndMs == null) {
      return;
    }
    final Long cow = s.lastCowSize();
    if (cow != null && cow > 0 && cow != pendingCowAtStart) {
      for (int i = forks.size() - 1; i >= 0; i--) {
        final ForkSeen f = forks.get(i);
        if (f.endMs() == pendingEndMs && !f.killed()) {
          forks.set(i, new ForkSeen(f.endMs(), f.kind(), f.usedMemory(), cow, false));
          break;
        }
      }
      pendingEndMs = null;
    } else if (s.timestampMs() - pendingEndMs > 10_000) {
      pendingEndMs = null;
    }
  }

  /** The ended fork ended having copied {@code copiedBytes} (a killed one: projected to its end). */
  private void record(final long endMs, final long copiedBytes, final boolean killed, final long windowMs) {
    if (!forkRecorded && forkUsedMemory != null && forkUsedMemory > 0) {
      forks.add(new ForkSeen(endMs, forkKind == null ? "FORK" : forkKind, forkUsedMemory, Math.max(0, copiedBytes), killed));
      countFork(endMs);
      while (forks.size() > MAX_FORKS) {
        // the mildest goes, so the worst of the window is never forgotten
        ForkSeen mildest = forks.get(0);
        for (final ForkSeen f : forks) {
          if (f.copyRatio() < mildest.copyRatio()) {
            mildest = f;
          }
        }
        forks.remove(mildest);
      }
    }
    forkRecorded = killed;
    if (!killed) {
      forkUsedMemory = null;
      forkKind = null;
    }
    prune(endMs, windowMs);
  }

  /**
   * The kernel killed the running fork (or the server in it): counted with its copy projected to its
   * end, from the kill's explanation, whether or not a sample saw it begin.
   */
  public void forkKilled(final long endMs, final String kind, final Long usedMemory, final long projectedCopy,
      final long windowMs) {
    if (forkRecorded) {
      return;
    }
    if (forkUsedMemory == null) {
      forkUsedMemory = usedMemory;
    }
    if (forkKind == null || "FORK".equals(forkKind)) {
      forkKind = kind;
    }
    record(endMs, projectedCopy, true, windowMs);
  }

  /** After the server's restart nothing of a fork it ran is left. */
  public void forkGone() {
    forkUsedMemory = null;
    forkKind = null;
    forkRecorded = false;
  }

  private void countFork(final long endMs) {
    final long day = Math.floorDiv(endMs, DAY_MS) * DAY_MS;
    final PeakDay last = days.isEmpty() ? null : days.get(days.size() - 1);
    if (last != null && last.dayStartMs() == day) {
      days.set(days.size() - 1, last.withFork());
    } else if (last == null || day > last.dayStartMs()) {
      days.add(new PeakDay(day, null, 0, 0, 0, 1));
    }
  }

  /** Forks that ended within the window (those dropped from {@link #forks} included). */
  public int forksInWindow() {
    int n = 0;
    for (final PeakDay d : days) {
      n += d.forks();
    }
    return Math.max(n, forks.size());
  }

  private void prune(final long nowMs, final long windowMs) {
    this.windowMs = windowMs;
    forks.removeIf(f -> nowMs - f.endMs() > windowMs);
    days.removeIf(d -> nowMs - (d.dayStartMs() + DAY_MS) > windowMs);
  }

  /**
   * Anonymous memory of the instance's cgroup (or pod) that its server and fork child do not hold:
   * other processes of the container, or the pod's other containers where the pod holds the limit.
   */
  static long otherBytes(final InstanceSnapshot s) {
    final Long physical = s.physical();
    if (physical == null || s.cgroupLimit() == null || s.serverRss() == null) {
      return 0;
    }
    final long redis = s.serverRss() + (s.childRss() == null ? 0 : s.childRss());
    return Math.max(0, physical - redis);
  }

  /** Client and replica output buffers, as Redis counts them. */
  static long buffers(final RedisDetail d) {
    if (d == null) {
      return 0;
    }
    return (d.clientsNormal() == null ? 0 : d.clientsNormal()) + (d.clientsReplicas() == null ? 0 : d.clientsReplicas());
  }

  private static Double max(final Double a, final Double b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : Math.max(a, b);
  }
}
