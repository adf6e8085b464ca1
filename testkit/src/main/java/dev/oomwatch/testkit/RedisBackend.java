package dev.oomwatch.testkit;

/** A real Redis for a test, from whichever back end this machine has. */
public interface RedisBackend extends AutoCloseable {
  String uri();

  /** Stops the server; {@link #start()} brings it back on the same address. */
  void stop();

  void start();

  String describe();

  @Override
  void close();
}
