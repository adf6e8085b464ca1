package dev.oomwatch.collector.discover;

import dev.oomwatch.config.Settings;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Discovery's settings: whether it runs ({@code redis.discover}, on by default when no URI is
 * given), how often it looks ({@code redis.discover.interval}), when a server gone from /proc is
 * forgotten ({@code redis.discover.forget.after}), and who gets which credentials.
 *
 * <p>Credentials go only to servers whose identity the server cannot forge. A rule
 * ({@code redis.discover.auth.<name>.*}, first name in order wins) selects by {@code .match}, a
 * glob over "namespace/pod" as the runtime's bundle names the pod, or by {@code .exe}, a glob over
 * the executable of a server outside containers (a file owned by root, writable by no one else),
 * with {@code .owner} the user it must run as (one of {@code redis.discover.host.owners} when not
 * given, so never any user); it gives {@code .username}, {@code .password} and
 * {@code .tls}. The default ({@code redis.discover.username}, {@code .password}, {@code .tls}) goes
 * to every server of verified identity: a pod named by its bundle, or a server outside containers
 * running a system executable as one of {@code redis.discover.host.owners}. A port, a process name,
 * a pod's own hostname or environment select nothing: the process chooses them.
 * {@code redis.discover.password.to.any} sends the default to every server found, and is warned of.
 */
public record DiscoveryConfig(boolean enabled, Duration interval, Duration forgetAfter, Credentials fallback,
    List<Rule> rules, List<String> hostOwners, boolean fallbackToAny) {
  public static final String ENABLED = "redis.discover";
  public static final String INTERVAL = "redis.discover.interval";
  public static final String FORGET_AFTER = "redis.discover.forget.after";
  public static final String USERNAME = "redis.discover.username";
  public static final String PASSWORD = "redis.discover.password";
  public static final String TLS = "redis.discover.tls";
  public static final String HOST_OWNERS = "redis.discover.host.owners";
  public static final String TO_ANY = "redis.discover.password.to.any";
  static final String AUTH_PREFIX = "redis.discover.auth.";

  /** A user (null for the default user), a password (null for none), TLS or not. toString hides the password. */
  public record Credentials(String username, String password, boolean tls) {
    public static final Credentials NONE = new Credentials(null, null, false);

    @Override
    public String toString() {
      return "Credentials[username=" + username + ", password=" + (password == null ? "none" : "***")
          + ", tls=" + tls + "]";
    }
  }

  /** Credentials for the servers a pod glob or an executable glob (and owner) selects. */
  public record Rule(String name, String podGlob, String exeGlob, String owner, Credentials credentials) {
    /** An executable rule without {@code .owner} holds for the host owners only, never for any user. */
    boolean matches(final DiscoveredServer server, final List<String> hostOwners) {
      final String pod = server.verifiedPodKey();
      if (podGlob != null && pod != null && glob(podGlob).matches(Path.of(pod))) {
        return true;
      }
      final HostExecutable exe = server.container() == null ? server.executable() : null;
      return exeGlob != null && exe != null && exe.systemOwned() && glob(exeGlob).matches(Path.of(exe.path()))
          && (owner == null ? hostOwners.stream().anyMatch(exe::runsAs) : exe.runsAs(owner));
    }

    private static PathMatcher glob(final String glob) {
      return FileSystems.getDefault().getPathMatcher("glob:" + glob);
    }
  }

  public static DiscoveryConfig from(final Settings settings, final boolean urisGiven) {
    final List<Rule> rules = new ArrayList<>();
    for (final String key : settings.asMap().keySet()) {
      if (!key.startsWith(AUTH_PREFIX) || !(key.endsWith(".match") || key.endsWith(".exe"))) {
        continue;
      }
      final String name = key.substring(AUTH_PREFIX.length(), key.lastIndexOf('.'));
      if (rules.stream().anyMatch(r -> r.name().equals(name))) {
        continue;
      }
      final String podGlob = settings.get(AUTH_PREFIX + name + ".match").orElse(null);
      if (podGlob != null && podGlob.startsWith(":")) {
        throw new IllegalArgumentException(AUTH_PREFIX + name + ".match=" + podGlob + ": a port selects no "
            + "credentials, since the server chooses its own port; select by namespace/pod (" + AUTH_PREFIX + name
            + ".match=shop/*) or, outside containers, by executable (" + AUTH_PREFIX + name + ".exe=/usr/bin/redis-server)");
      }
      rules.add(new Rule(name, podGlob, settings.get(AUTH_PREFIX + name + ".exe").orElse(null),
          settings.get(AUTH_PREFIX + name + ".owner").orElse(null), new Credentials(
          settings.get(AUTH_PREFIX + name + ".username").orElse(null),
          settings.get(AUTH_PREFIX + name + ".password").orElse(null),
          settings.getBoolean(AUTH_PREFIX + name + ".tls", false))));
    }
    rules.sort(java.util.Comparator.comparing(Rule::name));
    return new DiscoveryConfig(
        settings.getBoolean(ENABLED, !urisGiven),
        // 5 s: a new server is sampled within 10 s of starting (the scan, then the next tick)
        settings.getDuration(INTERVAL, Duration.ofSeconds(5)),
        // 10 min of "unreachable" says clearly that it went; then it stops costing anything
        settings.getDuration(FORGET_AFTER, Duration.ofMinutes(10)),
        new Credentials(settings.get(USERNAME).orElse(null), settings.get(PASSWORD).orElse(null),
            settings.getBoolean(TLS, false)),
        List.copyOf(rules),
        // the users packaged Redis and Valkey run as, and root
        Arrays.stream(settings.get(HOST_OWNERS, "root,redis,valkey").split(",")).map(String::strip)
            .filter(s -> !s.isEmpty()).toList(),
        settings.getBoolean(TO_ANY, false));
  }

  /** What a server gets: a matching rule's credentials, else the default if its identity is verified, else none. */
  public Credentials credentialsFor(final DiscoveredServer server) {
    for (final Rule rule : rules) {
      if (rule.matches(server, hostOwners)) {
        return rule.credentials();
      }
    }
    return fallbackToAny || verified(server) ? fallback : Credentials.NONE;
  }

  /** A pod named by its runtime's bundle, or a system executable run by a host owner outside containers. */
  public boolean verified(final DiscoveredServer server) {
    if (server.container() != null) {
      return server.verifiedPodKey() != null;
    }
    final HostExecutable exe = server.executable();
    return exe != null && exe.systemOwned() && hostOwners.stream().anyMatch(exe::runsAs);
  }

  /** Whether any credentials go over TLS. */
  public boolean usesTls() {
    return fallback.tls() || rules.stream().anyMatch(r -> r.credentials().tls());
  }

  /** Whether a default password is configured that could go to a server the others would not trust. */
  public boolean sendsToAny() {
    return fallbackToAny && fallback.password() != null;
  }
}
