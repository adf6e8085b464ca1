package dev.oomwatch.collector.redis;

import io.lettuce.core.RedisCommandTimeoutException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Why an instance could not be sampled, as {@code KIND: message}. The kind is what dashboards group
 * by: REFUSED, TIMEOUT, AUTH_FAILED, FORBIDDEN, UNKNOWN_HOST, TLS_FAILED, DISCONNECTED, ERROR.
 */
public final class FailureReason {
  private FailureReason() {}

  public static String of(final Throwable failure) {
    final String kind = kind(failure);
    final String message = deepestMessage(failure);
    return message == null ? kind : kind + ": " + message;
  }

  public static String kind(final Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      final String message = t.getMessage() == null ? "" : t.getMessage().toUpperCase(Locale.ROOT);
      if (message.contains("WRONGPASS") || message.contains("NOAUTH") || message.contains("INVALID PASSWORD")
          || message.contains("AUTH FAILED") || message.contains("AUTHENTICATION")) {
        return "AUTH_FAILED";
      }
      if (message.startsWith("NOPERM")) {
        return "FORBIDDEN";
      }
      if (t instanceof ConnectException) {
        return "REFUSED";
      }
      if (t instanceof RedisCommandTimeoutException || t instanceof TimeoutException
          || t.getClass().getSimpleName().contains("Timeout")) {
        return "TIMEOUT";
      }
      if (t instanceof UnknownHostException) {
        return "UNKNOWN_HOST";
      }
      if (t instanceof SSLException) {
        return "TLS_FAILED";
      }
      if (t instanceof ClosedChannelException || message.contains("CONNECTION CLOSED")
          || message.contains("NOT CONNECTED") || message.contains("CONNECTION RESET")) {
        return "DISCONNECTED";
      }
    }
    return "ERROR";
  }

  private static String deepestMessage(final Throwable failure) {
    String message = null;
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getMessage();
      }
    }
    return message;
  }
}
