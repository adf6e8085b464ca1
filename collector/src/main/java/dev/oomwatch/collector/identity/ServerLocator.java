package dev.oomwatch.collector.identity;

import dev.oomwatch.collector.container.CgroupPathParser;
import dev.oomwatch.collector.container.ContainerNamer;
import dev.oomwatch.collector.container.ContainerRef;
import dev.oomwatch.collector.container.PodNames;
import dev.oomwatch.collector.kernel.CgroupRef;
import dev.oomwatch.collector.kernel.FileReads;
import dev.oomwatch.collector.kernel.ProcessScanner;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Finds, for each sampled Redis, the one host process it is ({@link IdentityMatcher} on facts
 * read from /proc) and the container and pod it runs in. A resolved identity is kept while its
 * process lives and Redis reports the same run; an unresolved one is tried again after
 * {@link #RETRY_MS}, so a server that just started is found at its next samples.
 */
public final class ServerLocator {
  static final long RETRY_MS = 5_000;

  /** The identity and, when resolved, the container and its names. */
  public record Located(Identity identity, String connectedAddress, ContainerRef container, PodNames names) {}

  private record Key(String host, int port) {}

  private record Cached(Located located, Long processId, String runId, long atMs) {}

  private final Path proc;
  private final ProcessScanner scanner;
  private final ContainerNamer namer;
  private final Map<Key, Cached> cache = new HashMap<>();

  public ServerLocator(final ProcessScanner scanner, final ContainerNamer namer) {
    this.proc = scanner.paths().proc();
    this.scanner = scanner;
    this.namer = namer;
  }

  public synchronized Located locate(
      final String host, final int port, final Long processId, final String runId, final long nowMs) {
    final Key key = new Key(host, port);
    final Cached cached = cache.get(key);
    if (cached != null && Objects.equals(cached.processId(), processId) && Objects.equals(cached.runId(), runId)) {
      final Identity id = cached.located().identity();
      final boolean stillThere = id.hostPid() != null && Files.isDirectory(proc.resolve(String.valueOf(id.hostPid())));
      if (stillThere || (id.hostPid() == null && nowMs - cached.atMs() < RETRY_MS)) {
        return cached.located();
      }
    }
    final Located located = resolve(host, port, processId);
    cache.put(key, new Cached(located, processId, runId, nowMs));
    return located;
  }

  private Located resolve(final String host, final int port, final Long processId) {
    final InetAddress address;
    try {
      address = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      return new Located(Identity.noMatch("cannot resolve " + host), host + ":" + port, null, PodNames.NONE);
    }
    final String connected = (address.getHostAddress().contains(":") ? "[" + address.getHostAddress() + "]"
        : address.getHostAddress()) + ":" + port;
    final ProcFacts facts = new ProcFacts(proc);
    final List<ServerFacts> servers = new ArrayList<>();
    for (final long pid : scanner.find(new FileReads()).servers()) {
      servers.add(facts.of(pid));
    }
    final Identity identity = IdentityMatcher.match(
        new IdentityMatcher.Target(address, port, processId, collectorNetns()), servers);
    if (identity.hostPid() == null) {
      return new Located(identity, connected, null, PodNames.NONE);
    }
    final ContainerRef container = containerOf(identity.hostPid());
    return new Located(identity, connected, container, namer.names(identity.hostPid(), container));
  }

  /** The process's container from its memory cgroup path; null outside any container. */
  public ContainerRef containerOf(final long pid) {
    final CgroupRef ref = CgroupRef.parse(FileReads.quiet(proc.resolve(pid + "/cgroup")));
    return ref == null ? null : CgroupPathParser.parse(ref.path());
  }

  /** Loopback reaches the collector's own namespace: read through the configured /proc, else our own. */
  public Long collectorNetns() {
    final Long viaConfigured = ProcFacts.netns(proc.resolve("self"));
    return viaConfigured != null ? viaConfigured : ProcFacts.netns(Path.of("/proc/self"));
  }
}
