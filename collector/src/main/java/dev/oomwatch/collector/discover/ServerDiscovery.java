package dev.oomwatch.collector.discover;

import dev.oomwatch.collector.container.ContainerNamer;
import dev.oomwatch.collector.container.ContainerRef;
import dev.oomwatch.collector.container.PodNames;
import dev.oomwatch.collector.identity.ProcFacts;
import dev.oomwatch.collector.identity.ServerFacts;
import dev.oomwatch.collector.identity.ServerLocator;
import dev.oomwatch.collector.kernel.FileReads;
import dev.oomwatch.collector.kernel.ProcessScanner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds every redis-server and valkey-server on the host, in the host's namespace and in
 * containers, from /proc alone: its port from its title (or the sockets it holds), the address to
 * reach it by from its network namespace's listen sockets ({@link EndpointChooser}), and its
 * container and pod. A server that cannot be reached from the host is said once, not sampled.
 */
public final class ServerDiscovery {
  private static final Logger LOG = LoggerFactory.getLogger(ServerDiscovery.class);

  private final ProcessScanner scanner;
  private final ServerLocator locator;
  private final ContainerNamer namer;
  private final Path proc;
  private final Set<Long> toldUnreachable = new HashSet<>();
  private final HostUsers hostUsers;
  /** What earlier scans found, by host pid: a live server's endpoint and names do not change. */
  private final java.util.Map<Long, DiscoveredServer> known = new java.util.HashMap<>();

  public ServerDiscovery(final ProcessScanner scanner, final ServerLocator locator, final ContainerNamer namer) {
    this.scanner = scanner;
    this.locator = locator;
    this.namer = namer;
    this.proc = scanner.paths().proc();
    this.hostUsers = new HostUsers(proc);
  }

  /** The servers reachable now; one scan of /proc. */
  public List<DiscoveredServer> scan() {
    final ProcFacts facts = new ProcFacts(proc);
    final Long ours = locator.collectorNetns();
    final List<DiscoveredServer> found = new ArrayList<>();
    final Set<Long> alive = new HashSet<>();
    for (final long pid : scanner.find(new FileReads()).servers()) {
      alive.add(pid);
      final DiscoveredServer seen = known.get(pid);
      if (seen != null) {
        // only the /proc listing is paid for a server already found: its namespaces stay
        found.add(seen);
        continue;
      }
      final ServerFacts f = facts.of(pid);
      final List<Integer> ports = portsOf(pid, f);
      if (ports.isEmpty()) {
        continue;
      }
      // a server listening on several ports is sampled once, at its first
      final Endpoint endpoint = EndpointChooser.choose(ports.get(0), f.namespaceListening(), f.namespaceAddresses(),
          ours != null && ours.equals(f.netns()));
      final ContainerRef container = locator.containerOf(pid);
      final PodNames names = namer.names(pid, container);
      if (!endpoint.reachable()) {
        if (toldUnreachable.add(pid)) {
          LOG.warn("found {} (host pid {}{}) on port {} but cannot sample it: {}. Bind it to its pod's address "
              + "(bind 0.0.0.0 or the pod IP), or run a collector inside its network namespace.",
              comm(pid), pid, container != null && container.podUid() != null ? ", pod " + container.podUid() : "",
              endpoint.port(), endpoint.why());
        }
        continue;
      }
      final DiscoveredServer server = new DiscoveredServer(pid, endpoint, container, names,
          container == null ? executableOf(pid) : null);
      known.put(pid, server);
      found.add(server);
    }
    toldUnreachable.retainAll(alive);
    known.keySet().retainAll(alive);
    return found;
  }

  /** Ports from the title ("redis-server *:6379"), else those of the listen sockets it holds. */
  private List<Integer> portsOf(final long pid, final ServerFacts f) {
    final List<Integer> fromTitle = ProcessScanner.ports(read(proc.resolve(pid + "/cmdline")));
    if (!fromTitle.isEmpty()) {
      return fromTitle;
    }
    final Set<Long> own = f.ownSockets().get();
    return f.namespaceListening().stream().filter(l -> own.contains(l.inode())).map(l -> l.port()).distinct().toList();
  }

  private String comm(final long pid) {
    final String comm = read(proc.resolve(pid + "/comm"));
    return comm == null ? "redis-server" : comm.trim();
  }

  /**
   * The kernel's word on what a server outside containers runs: the exe link, and the owner and
   * mode of the very file it names (stat through the link, whatever mount namespace it lives in).
   */
  private HostExecutable executableOf(final long pid) {
    final Path exe = proc.resolve(pid + "/exe");
    // a runtime whose cgroups we do not recognise (LXC, nspawn, podman's libpod) still gives its
    // processes a mount namespace of their own: there the exe is the image's, and proves nothing
    if (!sameNamespace(pid, "mnt") || !sameNamespace(pid, "user")) {
      return null;
    }
    try {
      final String path = Files.readSymbolicLink(exe).toString();
      final int fileUid = ((Number) Files.getAttribute(exe, "unix:uid")).intValue();
      final int mode = ((Number) Files.getAttribute(exe, "unix:mode")).intValue();
      final int uid = ((Number) Files.getAttribute(proc.resolve(String.valueOf(pid)), "unix:uid")).intValue();
      return new HostExecutable(path, fileUid == 0 && (mode & 0022) == 0, uid, hostUsers.nameOf(uid));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Whether the process shares the host's namespace of this kind: pid 1's, or where pid 1's cannot
   * be read (a sandbox whose init is not ours to inspect), the collector's own, which is the host's
   * when it runs on the host itself.
   */
  private boolean sameNamespace(final long pid, final String kind) {
    try {
      return Files.readSymbolicLink(proc.resolve(pid + "/ns/" + kind)).toString().equals(hostNamespace(kind));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private final java.util.Map<String, String> hostNamespaces = new java.util.HashMap<>();

  private String hostNamespace(final String kind) {
    return hostNamespaces.computeIfAbsent(kind, k -> {
      try {
        return Files.readSymbolicLink(proc.resolve("1/ns/" + k)).toString();
      } catch (IOException | RuntimeException e) {
        try {
          final String own = Files.readSymbolicLink(Path.of("/proc/self/ns/" + k)).toString();
          LOG.info("pid 1's {} namespace cannot be read ({}); servers outside containers are those in the "
              + "collector's own", k, e.getMessage());
          return own;
        } catch (IOException | RuntimeException e2) {
          return "unknown";
        }
      }
    });
  }

  private static String read(final Path file) {
    // a title is the process's choice: 64 kB is more than any server's
    return FileReads.quiet(file, 64 * 1024);
  }

}
