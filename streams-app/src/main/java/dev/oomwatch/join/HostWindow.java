package dev.oomwatch.join;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A host's recent kernel views, ordered by time and bounded, for the as-of join: the view valid at
 * a Redis sample's time is the latest one taken at or before it; a view up to the tolerance after
 * it is used when none came before (out-of-order arrival).
 */
public record HostWindow(List<KernelView> views, Long unattributedKillMs, String unattributedKill) {
  /** The join looks 2 s either way: 16 views cover that even at the 50 ms fork watch's bursts. */
  public static final int CAPACITY = 16;
  /** Twice the default join tolerance: a view older than this relative to the newest is never joined. */
  public static final long KEEP_MS = 5_000;

  public static HostWindow empty() {
    return new HostWindow(List.of(), null, null);
  }

  /** Remembers a kill of a Redis process that no instance of this host could be matched to. */
  public HostWindow withUnattributedKill(final long timestampMs, final String description) {
    return new HostWindow(views, timestampMs, description);
  }

  public HostWindow add(final KernelView view) {
    final int n = views.size();
    final KernelView[] next = new KernelView[n + 1];
    // views nearly always come in order: the new one goes last, else where its time puts it
    int at = n;
    while (at > 0 && views.get(at - 1).timestampMs() > view.timestampMs()) {
      at--;
    }
    for (int i = 0, j = 0; i <= n; i++) {
      next[i] = i == at ? view : views.get(j++);
    }
    // Views older than the join can reach are dead weight written back on every host sample.
    final long horizon = next[n].timestampMs() - KEEP_MS;
    int from = 0;
    while (n + 1 - from > CAPACITY || (n + 1 - from > 2 && next[from].timestampMs() < horizon)) {
      from++;
    }
    final KernelView[] kept = from == 0 ? next : Arrays.copyOfRange(next, from, n + 1);
    return new HostWindow(Collections.unmodifiableList(Arrays.asList(kept)), unattributedKillMs, unattributedKill);
  }

  /** The view valid at {@code timestampMs} within {@code toleranceMs}, or null. */
  public KernelView asOf(final long timestampMs, final long toleranceMs) {
    KernelView before = null;
    KernelView after = null;
    for (final KernelView v : views) {
      if (v.timestampMs() <= timestampMs) {
        before = v;
      } else if (after == null) {
        after = v;
      }
    }
    if (before != null && timestampMs - before.timestampMs() <= toleranceMs) {
      return before;
    }
    if (after != null && after.timestampMs() - timestampMs <= toleranceMs) {
      return after;
    }
    return null;
  }

  public KernelView latest() {
    return views.isEmpty() ? null : views.get(views.size() - 1);
  }
}
