package dev.oomwatch.collector.redis;

import io.lettuce.core.RedisURI;
import java.time.Duration;

/**
 * One Redis to watch, from a URI such as {@code rediss://user:pass@host:6380/0#cache-a}. The
 * fragment names the instance (default host:port); the database is ignored because INFO is
 * server-wide. {@link #toString()} never contains the password.
 */
public final class RedisTarget {
  private final RedisURI uri;
  private final String instance;
  private final String display;

  private RedisTarget(final RedisURI uri, final String instance, final String display) {
    this.uri = uri;
    this.instance = instance;
    this.display = display;
  }

  public static RedisTarget parse(final String text, final Duration timeout) {
    final int hash = text.indexOf('#');
    final String name = hash >= 0 ? text.substring(hash + 1).trim() : "";
    final String withoutName = hash >= 0 ? text.substring(0, hash) : text;
    final RedisURI uri;
    try {
      uri = RedisURI.create(withoutName.trim());
    } catch (IllegalArgumentException e) {
      // Lettuce's message can echo the URI, password included: say only what is safe.
      throw new IllegalArgumentException("not a Redis URI: " + redact(withoutName));
    }
    uri.setDatabase(0);
    uri.setTimeout(timeout);
    uri.setClientName("oomwatch-collector");
    final String hostPort = uri.getHost() + ":" + uri.getPort();
    final String scheme = uri.isSsl() ? "rediss" : "redis";
    return new RedisTarget(uri, name.isEmpty() ? hostPort : name, scheme + "://" + hostPort);
  }

  /**
   * A server found by discovery, with the credentials configured for it (either may be null). Over
   * TLS its certificate must chain to the trusted CA; its name is not checked, as a discovered
   * server is reached by its pod's address, which no certificate names.
   */
  public static RedisTarget discovered(final String address, final int port, final String instance,
      final String username, final String password, final boolean tls, final Duration timeout) {
    final RedisURI.Builder b = RedisURI.builder().withHost(address).withPort(port).withTimeout(timeout)
        .withClientName("oomwatch-collector");
    if (tls) {
      b.withSsl(true).withVerifyPeer(io.lettuce.core.SslVerifyMode.CA);
    }
    if (password != null) {
      if (username != null) {
        b.withAuthentication(username, password.toCharArray());
      } else {
        b.withPassword(password.toCharArray());
      }
    }
    final RedisURI uri = b.build();
    final String hostPort = (address.contains(":") ? "[" + address + "]" : address) + ":" + port;
    return new RedisTarget(uri, instance, (tls ? "rediss://" : "redis://") + hostPort);
  }

  /** The URI with its credentials removed: for logs and messages. */
  static String redact(final String uri) {
    // up to the last @: a password may hold an @ of its own, and every character before the host is secret
    final int start = uri.indexOf("//");
    final int at = uri.lastIndexOf('@');
    return start < 0 || at < start ? uri : uri.substring(0, start + 2) + "***" + uri.substring(at);
  }

  public RedisURI uri() {
    return uri;
  }

  public String instance() {
    return instance;
  }

  public int port() {
    return uri.getPort();
  }

  @Override
  public String toString() {
    return instance.equals(uri.getHost() + ":" + uri.getPort()) ? display : instance + " (" + display + ")";
  }
}
