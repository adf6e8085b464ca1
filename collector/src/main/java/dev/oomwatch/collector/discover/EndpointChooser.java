package dev.oomwatch.collector.discover;

import dev.oomwatch.collector.identity.ProcNetText;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Which address the collector connects to for a server it found in /proc: from the listen sockets of
 * its network namespace on its port. A wildcard bind (0.0.0.0, ::) means every address of that
 * namespace: loopback when it is the collector's own namespace, else the namespace's own (the
 * pod's address), IPv4 first. A server bound only to loopback in another namespace cannot be
 * reached from the host. Pure.
 */
public final class EndpointChooser {
  private EndpointChooser() {}

  public static Endpoint choose(final int port, final List<ProcNetText.ListenSocket> listening,
      final Set<InetAddress> namespaceAddresses, final boolean collectorsNamespace) {
    final List<ProcNetText.ListenSocket> onPort = listening.stream().filter(l -> l.port() == port).toList();
    if (onPort.isEmpty()) {
      return new Endpoint(null, port, false, "no socket listens on port " + port + " in its network namespace");
    }
    final List<InetAddress> candidates = new ArrayList<>();
    for (final ProcNetText.ListenSocket l : onPort) {
      if (l.anyAddress()) {
        if (collectorsNamespace) {
          candidates.add(InetAddress.getLoopbackAddress());
        } else {
          namespaceAddresses.stream().filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress())
              .forEach(candidates::add);
        }
      } else if (!l.address().isLoopbackAddress() || collectorsNamespace) {
        candidates.add(l.address());
      }
    }
    // loopback first in our own namespace (never leaves the host), then IPv4 before IPv6
    candidates.sort(Comparator.comparing((InetAddress a) -> !a.isLoopbackAddress())
        .thenComparing(a -> !(a instanceof Inet4Address)));
    if (candidates.isEmpty()) {
      final boolean loopbackOnly = onPort.stream().allMatch(l -> l.address().isLoopbackAddress());
      return new Endpoint(null, port, false, loopbackOnly
          ? "it listens only on loopback inside its own network namespace, which the collector cannot reach from the host"
          : "its network namespace has no address the collector can reach");
    }
    return new Endpoint(candidates.get(0).getHostAddress(), port, true, null);
  }
}
