package dev.oomwatch.collector.kernel;

import dev.oomwatch.collector.ForkActivity;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Looks at each server's children file every few tens of milliseconds, so a fork is seen while
 * it lasts (one that ends in a kill often lasts two seconds). It runs 20 times a second for every
 * server on the host, so the steady path is one system call and no allocation: the children file
 * stays open and is read again from its start (the kernel regenerates it on every read from 0),
 * into a reused buffer, digits parsed in place and compared with the last look. Where the children
 * file is absent (old kernels) it falls back to the scanner's /proc walk.
 */
final class ForkWatch {
  private static final int MAX_CHILDREN = 64;

  private final ProcessScanner scanner;
  private final ForkActivity forks;
  private final Map<Long, Watched> watched = new HashMap<>();
  private final byte[] buffer = new byte[4096];
  private final long[] scratch = new long[MAX_CHILDREN];

  ForkWatch(final ProcessScanner scanner, final ForkActivity forks) {
    this.scanner = scanner;
    this.forks = forks;
  }

  /** One look at every server; returns a pid of a child that appeared since the last look, or -1. */
  long poll(final List<Long> servers) {
    long appeared = -1;
    if (watched.size() != servers.size() || !watched.keySet().containsAll(servers)) {
      forget(servers);
    }
    for (int i = 0; i < servers.size(); i++) {
      final Long server = servers.get(i);
      Watched w = watched.get(server);
      if (w == null) {
        w = new Watched(scanner.paths(), server);
        watched.put(server, w);
      }
      final int n = read(w);
      final long fresh = firstNew(w.children, w.count, scratch, n);
      if (fresh >= 0) {
        appeared = fresh;
      }
      System.arraycopy(scratch, 0, w.children, 0, n);
      w.count = n;
      forks.set(w.forkKey, n > 0);
    }
    return appeared;
  }

  /** Children pids of one server into {@link #scratch}; their count. */
  private int read(final Watched w) {
    if (w.childrenFile != null) {
      try {
        if (w.open == null) {
          w.open = new RandomAccessFile(w.childrenFile, "r");
        }
        final int len = readFromStart(w.open, buffer);
        return parsePids(buffer, len, scratch);
      } catch (IOException e) {
        // The file is gone: the server exited (the next rescan forgets it) or the kernel has none.
        w.close();
        w.childrenFile = null;
      }
    }
    final Set<Long> found = scanner.children(w.pid);
    int n = 0;
    for (final long pid : found) {
      if (n < scratch.length) {
        scratch[n++] = pid;
      }
    }
    return n;
  }

  /** pread from offset 0 until the buffer is full or the file ends. */
  private static int readFromStart(final RandomAccessFile file, final byte[] into) throws IOException {
    file.seek(0);
    int len = 0;
    while (len < into.length) {
      final int n = file.read(into, len, into.length - len);
      if (n <= 0) {
        break;
      }
      len += n;
    }
    return len;
  }

  /** Closes every open children file. */
  void close() {
    watched.values().forEach(Watched::close);
    watched.clear();
  }

  private void forget(final List<Long> servers) {
    watched.entrySet().removeIf(e -> {
      if (!servers.contains(e.getKey())) {
        e.getValue().close();
        forks.set(e.getValue().forkKey, false);
        return true;
      }
      return false;
    });
  }

  /** Space-separated decimal pids, as the kernel writes a children file; at most {@code out.length}. */
  static int parsePids(final byte[] text, final int len, final long[] out) {
    int n = 0;
    long value = 0;
    boolean inNumber = false;
    for (int i = 0; i < len && n < out.length; i++) {
      final byte b = text[i];
      if (b >= '0' && b <= '9') {
        value = value * 10 + (b - '0');
        inNumber = true;
      } else {
        if (inNumber) {
          out[n++] = value;
        }
        value = 0;
        inNumber = false;
      }
    }
    if (inNumber && n < out.length) {
      out[n++] = value;
    }
    return n;
  }

  /** The first pid of {@code now} not among {@code before}, or -1. */
  static long firstNew(final long[] before, final int beforeCount, final long[] now, final int nowCount) {
    for (int i = 0; i < nowCount; i++) {
      boolean known = false;
      for (int j = 0; j < beforeCount && !known; j++) {
        known = before[j] == now[i];
      }
      if (!known) {
        return now[i];
      }
    }
    return -1;
  }

  private static final class Watched {
    final long pid;
    final String forkKey;
    final long[] children = new long[MAX_CHILDREN];
    int count;
    File childrenFile;
    RandomAccessFile open;

    Watched(final KernelPaths paths, final long pid) {
      this.pid = pid;
      this.forkKey = "pid:" + pid;
      final File file = paths.proc().resolve(pid + "/task/" + pid + "/children").toFile();
      this.childrenFile = file.exists() ? file : null;
    }

    void close() {
      if (open != null) {
        try {
          open.close();
        } catch (IOException e) {
          // closing a /proc file cannot lose anything
        }
        open = null;
      }
    }
  }
}
