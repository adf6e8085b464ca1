package dev.oomwatch.metrics;

/**
 * Time limits for every JDK HTTP server in the process (/metrics, /healthz, the streams-app's
 * API). The JDK's server waits forever for a request's headers by default, so a client that
 * sends half a request holds one of the server's few threads until it goes away: a handful of
 * them and the kubelet's probes go unanswered. With a limit the server closes such a connection.
 *
 * <p>The JDK reads these system properties ({@code sun.net.httpserver.maxReqTime} and
 * {@code maxRspTime}, in seconds) once, when its first server is made, so {@link #apply} runs
 * before every server is made; a value the operator set with {@code -D} is kept.
 */
public final class HttpServerLimits {
  /** Seconds a client has to send its request line and headers: probes and scrapes send them at once. */
  public static final long REQUEST_SECONDS = 10;
  /** Seconds a client has to take a whole response: the largest, a page of incidents with snapshots, is a few MB. */
  public static final long RESPONSE_SECONDS = 60;

  private HttpServerLimits() {}

  public static void apply() {
    setIfAbsent("sun.net.httpserver.maxReqTime", REQUEST_SECONDS);
    setIfAbsent("sun.net.httpserver.maxRspTime", RESPONSE_SECONDS);
  }

  private static void setIfAbsent(final String key, final long seconds) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, String.valueOf(seconds));
    }
  }
}
