package dev.oomwatch.collector.discover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.collector.identity.ProcNetText.ListenSocket;
import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EndpointChooserTest {
  private static final Set<InetAddress> POD = Set.of(ip("127.0.0.1"), ip("10.233.7.2"), ip("fe80::1"));

  @Test
  void aWildcardBindInAPodIsReachedAtThePodsAddress() {
    final Endpoint e = EndpointChooser.choose(6379, List.of(new ListenSocket(ip("0.0.0.0"), 6379, 1)), POD, false);
    assertThat(e.reachable()).isTrue();
    assertThat(e.address()).isEqualTo("10.233.7.2");
  }

  @Test
  void aWildcardBindInTheCollectorsOwnNamespaceIsReachedOnLoopback() {
    final Endpoint e = EndpointChooser.choose(6379, List.of(new ListenSocket(ip("::"), 6379, 1)),
        Set.of(ip("127.0.0.1"), ip("192.0.2.2")), true);
    assertThat(e.address()).isEqualTo("127.0.0.1");
  }

  @Test
  void loopbackOnlyInsideAPodCannotBeReachedAndSaysWhy() {
    final Endpoint e = EndpointChooser.choose(6379, List.of(new ListenSocket(ip("127.0.0.1"), 6379, 1)), POD, false);
    assertThat(e.reachable()).isFalse();
    assertThat(e.why()).contains("only on loopback");
  }

  @Test
  void aSpecificAddressIsUsedAsBound() {
    final Endpoint e = EndpointChooser.choose(6380, List.of(new ListenSocket(ip("127.0.0.1"), 6380, 1),
        new ListenSocket(ip("10.233.7.2"), 6380, 2)), POD, false);
    assertThat(e.address()).isEqualTo("10.233.7.2");
    assertThat(e.port()).isEqualTo(6380);
  }

  @Test
  void noListenerOnThePortIsUnreachable() {
    assertThat(EndpointChooser.choose(6379, List.of(), POD, false).reachable()).isFalse();
  }

  private static InetAddress ip(final String text) {
    try {
      return InetAddress.getByName(text);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
