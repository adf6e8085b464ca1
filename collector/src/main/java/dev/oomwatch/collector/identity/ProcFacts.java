package dev.oomwatch.collector.identity;

import dev.oomwatch.collector.kernel.FileReads;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@link ServerFacts} from a /proc. One reader serves one pass: a namespace's addresses and
 * listen sockets are read once however many servers share it. A file that cannot be read leaves
 * its part empty; nothing here throws.
 */
public final class ProcFacts {
  private final Path proc;
  private final Map<Long, Set<InetAddress>> addressesByNetns = new HashMap<>();
  private final Map<Long, List<ProcNetText.ListenSocket>> listeningByNetns = new HashMap<>();

  public ProcFacts(final Path proc) {
    this.proc = proc;
  }

  public ServerFacts of(final long pid) {
    final Path dir = proc.resolve(String.valueOf(pid));
    final Long netns = netns(dir);
    final Set<InetAddress> addresses = netns == null ? addresses(dir)
        : addressesByNetns.computeIfAbsent(netns, n -> addresses(dir));
    final List<ProcNetText.ListenSocket> listening = netns == null ? listening(dir)
        : listeningByNetns.computeIfAbsent(netns, n -> listening(dir));
    return new ServerFacts(pid, nsPid(read(dir.resolve("status"))), netns, addresses, listening, () -> sockets(dir));
  }

  /** The namespace's own addresses, IPv4 and IPv6. */
  private Set<InetAddress> addresses(final Path dir) {
    final Set<InetAddress> all = new LinkedHashSet<>(ProcNetText.localAddresses(read(dir.resolve("net/fib_trie"))));
    all.addAll(ProcNetText.localAddresses6(read(dir.resolve("net/if_inet6"))));
    return all;
  }

  private List<ProcNetText.ListenSocket> listening(final Path dir) {
    final List<ProcNetText.ListenSocket> all = new ArrayList<>(ProcNetText.listening(listenLines(dir.resolve("net/tcp"))));
    all.addAll(ProcNetText.listening(listenLines(dir.resolve("net/tcp6"))));
    return all;
  }

  /** The inode of the process's network namespace, from the ns/net link ("net:[4026531840]"). */
  public static Long netns(final Path procPidDir) {
    try {
      return bracketed(Files.readSymbolicLink(procPidDir.resolve("ns/net")).toString());
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The last NSpid of /proc/PID/status: the pid in the process's own (innermost) pid namespace. */
  public static Long nsPid(final String status) {
    if (status == null) {
      return null;
    }
    for (final String line : status.split("\n")) {
      if (line.startsWith("NSpid:")) {
        final String[] f = line.substring(6).trim().split("\\s+");
        try {
          return Long.parseLong(f[f.length - 1]);
        } catch (NumberFormatException e) {
          return null;
        }
      }
    }
    return null;
  }

  /** Socket inodes among the process's descriptors: walked only when NSpid and namespace leave two. */
  private static Set<Long> sockets(final Path dir) {
    final Set<Long> out = new HashSet<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(dir.resolve("fd"))) {
      for (final Path fd : fds) {
        try {
          final String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            final Long inode = bracketed(target);
            if (inode != null) {
              out.add(inode);
            }
          }
        } catch (IOException | RuntimeException e) {
          // closed while we looked
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone, or not ours to read
    }
    return out;
  }

  static Long bracketed(final String link) {
    final int open = link.indexOf('[');
    final int close = link.indexOf(']', open + 1);
    if (open < 0 || close < 0) {
      return null;
    }
    try {
      return Long.parseLong(link.substring(open + 1, close));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** A socket table's LISTEN lines only (state 0A, the fourth field): bounded by what listens. */
  private static String listenLines(final Path table) {
    return FileReads.lines(table, line -> {
      final String[] f = line.trim().split("\\s+", 5);
      return f.length >= 4 && "0A".equals(f[3]);
    });
  }

  private static String read(final Path file) {
    return FileReads.quiet(file);
  }
}
