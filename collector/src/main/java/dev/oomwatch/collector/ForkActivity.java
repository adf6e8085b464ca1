package dev.oomwatch.collector;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether any Redis on this host is forked right now, as either sampler saw it: INFO says a
 * BGSAVE / AOF rewrite runs, or /proc shows a server with a child. While it is, both samplers
 * switch to the fast rate at once, because a fork that ends in a kill often lasts two seconds.
 */
public final class ForkActivity {
  private final Set<String> forking = ConcurrentHashMap.newKeySet();

  /** {@code source} is an instance id or "pid:N"; each source sets and clears its own mark. */
  public void set(final String source, final boolean forked) {
    if (forked) {
      forking.add(source);
    } else {
      forking.remove(source);
    }
  }

  public boolean any() {
    return !forking.isEmpty();
  }
}
