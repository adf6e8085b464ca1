package dev.oomwatch.collector.discover;

import dev.oomwatch.config.Settings;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Discovery's settings: whether it runs ({@code redis.discover}, on by default when no URI is
 * given), how often it looks ({@code redis.discover.interval}), when a server gone from /proc is
 * forgotten ({@code redis.discover.forget.after}), and the credentials for what it finds: a default
 * ({@code redis.discover.username}, {@code redis.discover.password}) and overrides by pattern
 * ({@code redis.discover.auth.<name>.match} a glob over "namespace/pod" or ":port",
 * with {@code .username} and {@code .password}), first match wins.
 */
public record DiscoveryConfig(boolean enabled, Duration interval, Duration forgetAfter, Credentials fallback,
    List<Rule> rules) {
  public static final String ENABLED = "redis.discover";
  public static final String INTERVAL = "redis.discover.interval";
  public static final String FORGET_AFTER = "redis.discover.forget.after";
  public static final String USERNAME = "redis.discover.username";
  public static final String PASSWORD = "redis.discover.password";
  static final String AUTH_PREFIX = "redis.discover.auth.";

  /** A user (null for the default user) and password (null for none). toString hides the password. */
  public record Credentials(String username, String password) {
    @Override
    public String toString() {
      return "Credentials[username=" + username + ", password=" + (password == null ? "none" : "***") + "]";
    }
  }

  /** Credentials for the servers whose "namespace/pod" or ":port" matches the glob. */
  public record Rule(String name, String glob, Credentials credentials) {
    boolean matches(final String podKey, final int port) {
      final PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
      return (podKey != null && m.matches(Path.of(podKey))) || m.matches(Path.of(":" + port));
    }
  }

  public static DiscoveryConfig from(final Settings settings, final boolean urisGiven) {
    final List<Rule> rules = new ArrayList<>();
    for (final String key : settings.asMap().keySet()) {
      if (key.startsWith(AUTH_PREFIX) && key.endsWith(".match")) {
        final String name = key.substring(AUTH_PREFIX.length(), key.length() - ".match".length());
        rules.add(new Rule(name, settings.get(key, ""), new Credentials(
            settings.get(AUTH_PREFIX + name + ".username").orElse(null),
            settings.get(AUTH_PREFIX + name + ".password").orElse(null))));
      }
    }
    rules.sort(java.util.Comparator.comparing(Rule::name));
    return new DiscoveryConfig(
        settings.getBoolean(ENABLED, !urisGiven),
        // 5 s: a new server is sampled within 10 s of starting (the scan, then the next tick)
        settings.getDuration(INTERVAL, Duration.ofSeconds(5)),
        // 10 min of "unreachable" says clearly that it went; then it stops costing anything
        settings.getDuration(FORGET_AFTER, Duration.ofMinutes(10)),
        new Credentials(settings.get(USERNAME).orElse(null), settings.get(PASSWORD).orElse(null)),
        List.copyOf(rules));
  }

  public Credentials credentialsFor(final DiscoveredServer server) {
    for (final Rule rule : rules) {
      if (rule.matches(server.podKey(), server.endpoint().port())) {
        return rule.credentials();
      }
    }
    return fallback;
  }
}
