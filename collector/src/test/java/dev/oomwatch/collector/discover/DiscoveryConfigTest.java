package dev.oomwatch.collector.discover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.collector.container.PodNames;
import dev.oomwatch.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DiscoveryConfigTest {
  private static DiscoveredServer server(final String ns, final String pod, final int port) {
    return new DiscoveredServer(1, new Endpoint("10.0.0.1", port, true, null), null,
        pod == null ? PodNames.NONE : new PodNames(pod, ns, "redis", "x"));
  }

  @Test
  void onByDefaultOnlyWithoutExplicitUris() {
    assertThat(DiscoveryConfig.from(Settings.empty(), false).enabled()).isTrue();
    assertThat(DiscoveryConfig.from(Settings.empty(), true).enabled()).isFalse();
    assertThat(DiscoveryConfig.from(Settings.of(Map.of("redis.discover", "true")), true).enabled()).isTrue();
  }

  @Test
  void credentialsByPodPatternOrPortElseTheDefault() {
    final DiscoveryConfig config = DiscoveryConfig.from(Settings.of(Map.of(
        "redis.discover.password", "fallback-secret",
        "redis.discover.auth.a.match", "shop/*",
        "redis.discover.auth.a.username", "oomwatch",
        "redis.discover.auth.a.password", "shop-secret",
        "redis.discover.auth.b.match", ":6380",
        "redis.discover.auth.b.password", "port-secret")), false);
    assertThat(config.credentialsFor(server("shop", "cache-0", 6379)))
        .isEqualTo(new DiscoveryConfig.Credentials("oomwatch", "shop-secret"));
    assertThat(config.credentialsFor(server("auth", "sessions-0", 6380)).password()).isEqualTo("port-secret");
    assertThat(config.credentialsFor(server(null, null, 6380)).password()).isEqualTo("port-secret");
    assertThat(config.credentialsFor(server("auth", "sessions-0", 6379)).password()).isEqualTo("fallback-secret");
    assertThat(config.toString()).doesNotContain("secret");
  }

  @Test
  void instancesAreNamedAfterTheirPodWhereKnown() {
    assertThat(server("shop", "cache-0", 6379).instance()).isEqualTo("shop/cache-0");
    assertThat(server("shop", "cache-0", 6380).instance()).isEqualTo("shop/cache-0:6380");
    assertThat(server(null, null, 6379).instance()).isEqualTo("10.0.0.1:6379");
    assertThat(new DiscoveredServer(1, new Endpoint("172.17.0.2", 6379, true, null),
        new dev.oomwatch.collector.container.ContainerRef("docker", "abcdef0123456789".repeat(4), null, null),
        PodNames.NONE).instance()).isEqualTo("abcdef012345");
  }
}
