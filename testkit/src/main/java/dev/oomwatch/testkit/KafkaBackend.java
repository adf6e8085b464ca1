package dev.oomwatch.testkit;

import java.time.Duration;

/** A real Kafka for a test, from whichever back end this machine has. */
public interface KafkaBackend extends AutoCloseable {
  String bootstrapServers();

  /** Makes the broker unreachable for {@code length}, then brings it back with its data. */
  void outage(Duration length);

  /** Which back end this is, for test output. */
  String describe();

  @Override
  void close();
}
