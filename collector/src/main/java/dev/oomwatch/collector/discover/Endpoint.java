package dev.oomwatch.collector.discover;

/**
 * Where a discovered server can be reached from the collector, or why it cannot: {@code reachable}
 * false with {@code why} for a server bound only to loopback inside another network namespace.
 */
public record Endpoint(String address, int port, boolean reachable, String why) {}
