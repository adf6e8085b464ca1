package dev.oomwatch.streams;

import dev.oomwatch.config.ConfigOptions;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "streams", mixinStandardHelpOptions = true,
    header = "Run the streams-app: joins samples per host, detects, publishes alerts.",
    description = {"Run the streams-app against any Kafka cluster: joins samples per host, runs the detectors",
        "and publishes alerts. Run as many as the topics have partitions; they share the work."})
public final class StreamsCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Override
  public Integer call() throws Exception {
    final CountDownLatch stop = new CountDownLatch(1);
    final StreamsApp app = StreamsApp.start(StreamsAppConfig.from(config.load()));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      app.close();
      stop.countDown();
    }, "streams-shutdown"));
    stop.await();
    return 0;
  }

  /** The streams-app alone, as {@code bin/oomwatch streams} and the crash test run it. */
  public static void main(final String[] args) {
    System.exit(new picocli.CommandLine(new StreamsCommand()).execute(args));
  }
}
