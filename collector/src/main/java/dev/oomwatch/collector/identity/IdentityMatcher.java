package dev.oomwatch.collector.identity;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Ties a Redis connection to one host process by evidence unique on the host, never by pid or
 * port alone (in containers every server is pid 1 on port 6379): first the network namespace
 * whose own addresses hold the address connected to (for loopback, the collector's own
 * namespace), then the innermost NSpid equal to INFO's process_id, then, if still more than one,
 * which process holds the socket listening on the port. Where no namespace holds the address (a
 * port forwarded into a container), NSpid and the listen port must single out one process on the
 * whole host. Pure.
 */
public final class IdentityMatcher {
  private IdentityMatcher() {}

  /** What the collector knows of the connection: the address and port it reached, INFO's process_id. */
  public record Target(InetAddress address, int port, Long processId, Long collectorNetns) {}

  public static Identity match(final Target target, final List<ServerFacts> servers) {
    if (servers.isEmpty()) {
      return Identity.noMatch("no redis-server or valkey-server process on this host");
    }
    final boolean loopback = target.address().isLoopbackAddress();
    final List<ServerFacts> inNamespace = new ArrayList<>();
    for (final ServerFacts s : servers) {
      final boolean holds = loopback
          ? target.collectorNetns() != null && target.collectorNetns().equals(s.netns())
          : s.namespaceAddresses().contains(target.address());
      if (holds) {
        inNamespace.add(s);
      }
    }
    final String where = loopback ? "the collector's own network namespace (loopback)"
        : "network namespace " + (inNamespace.isEmpty() ? "?" : netnsOf(inNamespace)) + " holding "
            + target.address().getHostAddress();
    if (!inNamespace.isEmpty()) {
      return narrow(inNamespace, target, where);
    }
    // no namespace owns the address: a forwarded port (Docker's -p, a NodePort). Only evidence
    // that is unique on the whole host will do.
    final List<ServerFacts> listeningAnywhere = servers.stream()
        .filter(s -> target.processId() != null && target.processId().equals(s.nsPid()))
        .filter(s -> listensOn(s, target.port()))
        .toList();
    if (listeningAnywhere.size() == 1 && target.processId() != null) {
      return narrow(listeningAnywhere, target, "no namespace holds " + target.address().getHostAddress()
          + " (a forwarded port?)");
    }
    return Identity.noMatch("no redis-server whose network namespace holds " + target.address().getHostAddress()
        + (listeningAnywhere.size() > 1 ? "; " + pids(listeningAnywhere) + " have NSpid " + target.processId()
            + " and listen on " + target.port() : ""));
  }

  private static Identity narrow(final List<ServerFacts> candidates, final Target target, final String where) {
    List<ServerFacts> left = candidates;
    final StringBuilder evidence = new StringBuilder(where);
    if (target.processId() != null) {
      left = left.stream().filter(s -> target.processId().equals(s.nsPid())).toList();
      evidence.append(", NSpid ").append(target.processId());
      if (left.isEmpty()) {
        return Identity.noMatch(evidence + ": no process there has it (" + pids(candidates) + ")");
      }
    }
    if (left.size() > 1) {
      final List<ServerFacts> listening = left.stream().filter(s -> holdsListener(s, target.port())).toList();
      evidence.append(", listen socket on ").append(target.port());
      if (listening.size() == 1) {
        left = listening;
      } else {
        return Identity.ambiguous(evidence + ": candidates " + pids(listening.isEmpty() ? left : listening));
      }
    }
    final ServerFacts one = left.get(0);
    return Identity.resolved(one.hostPid(), evidence.append(": pid ").append(one.hostPid()).toString());
  }

  /** The namespace has a socket listening on the port (the process's own, or a sibling's). */
  private static boolean listensOn(final ServerFacts s, final int port) {
    return s.namespaceListening().stream().anyMatch(l -> l.port() == port);
  }

  /** The process itself holds a socket listening on the port. */
  private static boolean holdsListener(final ServerFacts s, final int port) {
    final Set<Long> inodes = s.namespaceListening().stream().filter(l -> l.port() == port)
        .map(ProcNetText.ListenSocket::inode).collect(Collectors.toSet());
    if (inodes.isEmpty()) {
      return false;
    }
    final Set<Long> own = s.ownSockets().get();
    return own.stream().anyMatch(inodes::contains);
  }

  private static String netnsOf(final List<ServerFacts> servers) {
    return servers.stream().map(ServerFacts::netns).filter(Objects::nonNull).distinct()
        .map(String::valueOf).collect(Collectors.joining(","));
  }

  private static String pids(final List<ServerFacts> servers) {
    return "pids " + servers.stream().map(s -> String.valueOf(s.hostPid())).collect(Collectors.joining(", "));
  }
}
