package dev.oomwatch.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.DoublePredicate;

/**
 * Reads one figure off a process's /metrics (Prometheus text format), so a test can wait for what a
 * process says it did (a post refused, a delivery made) instead of pausing and hoping it has.
 */
public final class MetricsScrape {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private MetricsScrape() {}

  /** The sum of every series of {@code name} on the page at {@code url}; 0 when it has none. */
  public static double sum(final String url, final String name) throws IOException, InterruptedException {
    final String page = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    double total = 0;
    for (final String line : page.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        final String[] parts = line.trim().split("\\s+");
        // "name{labels} value" or "name{labels} value timestamp": labels hold no spaces here
        total += Double.parseDouble(parts[line.contains("}") ? indexAfterLabels(parts) : 1]);
      }
    }
    return total;
  }

  /** Waits until the figure satisfies {@code wanted}; its last value. */
  public static double await(final String url, final String name, final DoublePredicate wanted, final Duration timeout)
      throws IOException, InterruptedException {
    final long deadline = System.currentTimeMillis() + timeout.toMillis();
    double value = sum(url, name);
    while (!wanted.test(value)) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError(name + " at " + url + " is " + value + " after " + timeout.toSeconds() + " s");
      }
      Thread.sleep(100);
      value = sum(url, name);
    }
    return value;
  }

  private static int indexAfterLabels(final String[] parts) {
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].endsWith("}")) {
        return i + 1;
      }
    }
    return 1;
  }
}
