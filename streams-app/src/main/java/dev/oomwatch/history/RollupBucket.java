package dev.oomwatch.history;

/**
 * One bucket of an instance's rolled-up timeline: how many snapshots fell in it, and for each
 * figure its minimum, maximum and last (the value of the latest snapshot). Snapshots may arrive out
 * of order (a Redis sample and the kernel's looks travel on different topics): min and max do not
 * care, last goes to the latest timestamp.
 */
public final class RollupBucket {
  /** The figures kept, in layout order. A new figure goes at the end. */
  public static final String[] FIGURES = {"usedMemory", "usedMemoryRss", "maxmemory", "serverRss", "childRss",
      "cgroupUsage", "cgroupAnon", "cgroupLimit", "physical", "limit"};
  static final int N = FIGURES.length;

  final long startMs;
  int samples;
  int reachable;
  boolean forking;
  Long childPid;
  long lastMs = Long.MIN_VALUE;
  /** Bit i set: figure i was seen in this bucket. */
  int present;
  final long[] min = new long[N];
  final long[] max = new long[N];
  final long[] last = new long[N];

  RollupBucket(final long startMs) {
    this.startMs = startMs;
  }

  /** Figure {@code i} of a snapshot, in layout order; read field by field (an array per snapshot showed in profiles). */
  static Long figure(final TimelinePoint p, final int i) {
    return switch (i) {
      case 0 -> p.usedMemory();
      case 1 -> p.usedMemoryRss();
      case 2 -> p.maxmemory();
      case 3 -> p.serverRss();
      case 4 -> p.childRss();
      case 5 -> p.cgroupUsage();
      case 6 -> p.cgroupAnon();
      case 7 -> p.cgroupLimit();
      case 8 -> p.physical();
      case 9 -> p.limit();
      default -> throw new IllegalArgumentException("no figure " + i);
    };
  }

  void add(final TimelinePoint p) {
    samples++;
    if (p.reachable()) {
      reachable++;
    }
    forking |= p.forking();
    final boolean latest = p.timestampMs() >= lastMs;
    if (latest) {
      lastMs = p.timestampMs();
      if (p.childPid() != null || !p.forking()) {
        childPid = p.childPid();
      }
    }
    for (int i = 0; i < N; i++) {
      final Long figure = figure(p, i);
      if (figure == null) {
        continue;
      }
      final long v = figure;
      if ((present & (1 << i)) == 0) {
        present |= 1 << i;
        min[i] = v;
        max[i] = v;
        last[i] = v;
      } else {
        min[i] = Math.min(min[i], v);
        max[i] = Math.max(max[i], v);
        if (latest) {
          last[i] = v;
        }
      }
    }
  }

  public long startMs() {
    return startMs;
  }

  public int samples() {
    return samples;
  }

  public int reachable() {
    return reachable;
  }

  public boolean forking() {
    return forking;
  }

  public Long childPid() {
    return childPid;
  }

  public long lastMs() {
    return lastMs;
  }

  public boolean has(final int figure) {
    return (present & (1 << figure)) != 0;
  }

  public Long min(final int figure) {
    return has(figure) ? min[figure] : null;
  }

  public Long max(final int figure) {
    return has(figure) ? max[figure] : null;
  }

  public Long last(final int figure) {
    return has(figure) ? last[figure] : null;
  }
}
