package dev.oomwatch.collector.discover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.oomwatch.collector.container.ContainerRef;
import dev.oomwatch.collector.container.PodNames;
import dev.oomwatch.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DiscoveryConfigTest {
  private static final String UID = "0b5e8a4c-1f2d-4e6a-9b3c-7d8e9f0a1b2c";
  private static final ContainerRef IN_POD = new ContainerRef("containerd", "c".repeat(64), UID, "burstable");

  /** A pod as its runtime's bundle names it. */
  private static DiscoveredServer pod(final String ns, final String pod, final int port) {
    return new DiscoveredServer(1, new Endpoint("10.0.0.1", port, true, null), IN_POD,
        new PodNames(pod, ns, "redis", "bundle", true), null);
  }

  /** A pod that names itself (its HOSTNAME, its /etc/hostname): no bundle. */
  private static DiscoveredServer selfNamed(final String pod) {
    return new DiscoveredServer(1, new Endpoint("10.0.0.2", 6379, true, null), IN_POD,
        new PodNames(pod, null, null, "HOSTNAME", false), null);
  }

  private static DiscoveredServer host(final String exe, final boolean systemOwned, final int uid, final String user) {
    return new DiscoveredServer(1, new Endpoint("127.0.0.1", 6379, true, null), null, PodNames.NONE,
        new HostExecutable(exe, systemOwned, uid, user));
  }

  private static final Map<String, String> RULES = Map.of(
      "redis.discover.password", "fallback-secret",
      "redis.discover.auth.a.match", "shop/*",
      "redis.discover.auth.a.username", "oomwatch",
      "redis.discover.auth.a.password", "shop-secret",
      "redis.discover.auth.b.exe", "/opt/redis/bin/*",
      "redis.discover.auth.b.owner", "cache",
      "redis.discover.auth.b.password", "exe-secret",
      "redis.discover.auth.b.tls", "true");

  @Test
  void onByDefaultOnlyWithoutExplicitUris() {
    assertThat(DiscoveryConfig.from(Settings.empty(), false).enabled()).isTrue();
    assertThat(DiscoveryConfig.from(Settings.empty(), true).enabled()).isFalse();
    assertThat(DiscoveryConfig.from(Settings.of(Map.of("redis.discover", "true")), true).enabled()).isTrue();
  }

  @Test
  void credentialsByVerifiedPodOrSystemExecutableElseTheDefaultToVerifiedIdentitiesOnly() {
    final DiscoveryConfig config = DiscoveryConfig.from(Settings.of(RULES), false);
    assertThat(config.credentialsFor(pod("shop", "cache-0", 6379)))
        .isEqualTo(new DiscoveryConfig.Credentials("oomwatch", "shop-secret", false));
    assertThat(config.credentialsFor(pod("auth", "sessions-0", 6379)).password()).isEqualTo("fallback-secret");
    // a pod that only says it is shop/cache-0 gets nothing: not the rule, not the default
    assertThat(config.credentialsFor(selfNamed("cache-0"))).isEqualTo(DiscoveryConfig.Credentials.NONE);
    assertThat(config.credentialsFor(host("/opt/redis/bin/redis-server", true, 999, "cache")))
        .isEqualTo(new DiscoveryConfig.Credentials(null, "exe-secret", true));
    // the same path, but a file a user could have written, or run as someone else
    assertThat(config.credentialsFor(host("/opt/redis/bin/redis-server", false, 999, "cache")).password()).isNull();
    assertThat(config.credentialsFor(host("/opt/redis/bin/redis-server", true, 1000, "alice")).password()).isNull();
    // the default to the system's own redis-server, run as redis or root
    assertThat(config.credentialsFor(host("/usr/bin/redis-server", true, 112, "redis")).password())
        .isEqualTo("fallback-secret");
    assertThat(config.credentialsFor(host("/usr/bin/redis-server", true, 0, "root")).password())
        .isEqualTo("fallback-secret");
    assertThat(config.credentialsFor(host("/home/alice/redis-server", false, 0, "root")).password()).isNull();
    assertThat(config.toString()).doesNotContain("secret");
  }

  @Test
  void anExecutableRuleWithoutAnOwnerHoldsForTheHostOwnersOnly() {
    final DiscoveryConfig config = DiscoveryConfig.from(Settings.of(Map.of(
        "redis.discover.auth.sys.exe", "/usr/bin/redis-server",
        "redis.discover.auth.sys.password", "sys-secret")), false);
    assertThat(config.credentialsFor(host("/usr/bin/redis-server", true, 112, "redis")).password()).isEqualTo("sys-secret");
    // a local user running the system's binary on a port of their own
    assertThat(config.credentialsFor(host("/usr/bin/redis-server", true, 1000, "alice")).password()).isNull();
  }

  @Test
  void theDefaultGoesToAnyServerOnlyWhenSaidSo() {
    final DiscoveryConfig config = DiscoveryConfig.from(Settings.of(Map.of(
        "redis.discover.password", "fallback-secret", "redis.discover.password.to.any", "true")), false);
    assertThat(config.credentialsFor(selfNamed("cache-0")).password()).isEqualTo("fallback-secret");
    assertThat(config.sendsToAny()).isTrue();
  }

  @Test
  void aPortSelectsNoCredentials() {
    assertThatThrownBy(() -> DiscoveryConfig.from(Settings.of(Map.of(
        "redis.discover.auth.b.match", ":6380", "redis.discover.auth.b.password", "port-secret")), false))
        .hasMessageContaining("a port selects no credentials").hasMessageNotContaining("port-secret");
  }

  @Test
  void instancesAreNamedByWhatTheServerCannotChoose() {
    assertThat(pod("shop", "cache-0", 6379).instance()).isEqualTo("shop/cache-0");
    assertThat(pod("shop", "cache-0", 6380).instance()).isEqualTo("shop/cache-0:6380");
    assertThat(selfNamed("cache-0").instance()).isEqualTo("pod-" + UID);
    assertThat(selfNamed("cache-0").podLabel()).isEqualTo("cache-0 (its own word)");
    assertThat(host("/usr/bin/redis-server", true, 0, "root").instance()).isEqualTo("127.0.0.1:6379");
    assertThat(new DiscoveredServer(1, new Endpoint("172.17.0.2", 6379, true, null),
        new ContainerRef("docker", "abcdef0123456789".repeat(4), null, null),
        PodNames.NONE, null).instance()).isEqualTo("abcdef012345");
  }
}
