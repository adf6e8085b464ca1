package dev.oomwatch.collector.identity;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What the host's /proc says of one redis-server process, as far as identity goes: its pid on the
 * host, its innermost NSpid, its network namespace with that namespace's own addresses and listen
 * sockets, and (read only when needed, as it walks every descriptor) the socket inodes it holds.
 */
public record ServerFacts(
    long hostPid,
    Long nsPid,
    Long netns,
    Set<InetAddress> namespaceAddresses,
    List<ProcNetText.ListenSocket> namespaceListening,
    Supplier<Set<Long>> ownSockets) {}
