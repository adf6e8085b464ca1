package dev.oomwatch.collector.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Three pods on one node (pid 1 each, port 6379 each) and a server of the host's own: each
 * connection is tied to its own process, or to none, never to a neighbour.
 */
class IdentityMatcherTest {
  private static final long HOST_NS = 4026531833L;
  private static final InetAddress LOOPBACK = address("127.0.0.1");

  private static ServerFacts pod(final long hostPid, final long netns, final String ip, final long inode) {
    return new ServerFacts(hostPid, 1L, netns, Set.of(address(ip), LOOPBACK),
        List.of(new ProcNetText.ListenSocket(address("0.0.0.0"), 6379, inode)), () -> Set.of(inode));
  }

  private final ServerFacts hostServer = new ServerFacts(900, 900L, HOST_NS, Set.of(LOOPBACK, address("192.0.2.2")),
      List.of(new ProcNetText.ListenSocket(LOOPBACK, 6390, 7)), () -> Set.of(7L));
  private final List<ServerFacts> node = List.of(
      pod(1001, 4026532176L, "10.233.7.2", 11), pod(1002, 4026532177L, "10.233.7.6", 12),
      pod(1003, 4026532178L, "10.233.7.10", 13), hostServer);

  @Test
  void eachPodAddressResolvesToThatPodsProcess() {
    assertThat(match("10.233.7.2", 6379, 1L).hostPid()).isEqualTo(1001);
    assertThat(match("10.233.7.6", 6379, 1L).hostPid()).isEqualTo(1002);
    final Identity third = match("10.233.7.10", 6379, 1L);
    assertThat(third.status()).isEqualTo(Identity.Status.RESOLVED);
    assertThat(third.hostPid()).isEqualTo(1003);
    assertThat(third.evidence()).contains("4026532178").contains("NSpid 1").contains("pid 1003");
  }

  @Test
  void loopbackIsTheCollectorsOwnNamespaceNotAPodsLoopback() {
    final Identity id = match("127.0.0.1", 6390, 900L);
    assertThat(id.hostPid()).isEqualTo(900);
    assertThat(match("127.0.0.1", 6379, 1L).status()).isEqualTo(Identity.Status.NO_MATCH);
  }

  @Test
  void aRestartedServerWithAnotherPidIsNotMatchedToTheOldOne() {
    assertThat(match("10.233.7.2", 6379, 7L).status()).isEqualTo(Identity.Status.NO_MATCH);
  }

  @Test
  void twoServersSharingANamespaceAndNsPidAreToldApartByWhoHoldsTheListenSocket() {
    // a pod whose two containers (no shared pid namespace) each run a server as their pid 1
    final List<ProcNetText.ListenSocket> both = List.of(
        new ProcNetText.ListenSocket(address("0.0.0.0"), 6379, 21), new ProcNetText.ListenSocket(address("0.0.0.0"), 6380, 22));
    final AtomicInteger walks = new AtomicInteger();
    final ServerFacts first = new ServerFacts(2001, 1L, 5L, Set.of(address("10.1.0.5")), both, () -> {
      walks.incrementAndGet();
      return Set.of(21L);
    });
    final ServerFacts second = new ServerFacts(2002, 1L, 5L, Set.of(address("10.1.0.5")), both, () -> Set.of(22L));
    final Identity id = IdentityMatcher.match(new IdentityMatcher.Target(address("10.1.0.5"), 6380, 1L, HOST_NS),
        List.of(first, second));
    assertThat(id.hostPid()).isEqualTo(2002);
    assertThat(walks.get()).isEqualTo(1);
  }

  @Test
  void whenTheEvidenceLeavesTwoTheSampleSaysSoAndNamesNeither() {
    final ServerFacts a = new ServerFacts(3001, 1L, 6L, Set.of(address("10.1.0.9")), List.of(), Set::of);
    final ServerFacts b = new ServerFacts(3002, 1L, 6L, Set.of(address("10.1.0.9")), List.of(), Set::of);
    final Identity id = IdentityMatcher.match(new IdentityMatcher.Target(address("10.1.0.9"), 6379, 1L, HOST_NS),
        List.of(a, b));
    assertThat(id.status()).isEqualTo(Identity.Status.AMBIGUOUS);
    assertThat(id.hostPid()).isNull();
    assertThat(id.evidence()).contains("3001").contains("3002");
  }

  @Test
  void aForwardedPortIsResolvedOnlyWhenNsPidAndPortSingleOutOneProcess() {
    // Docker's -p 16379:6379 on the host's address: no namespace holds it as the server's own
    final List<ServerFacts> one = List.of(pod(4001, 7L, "172.17.0.2", 31), hostServer);
    assertThat(IdentityMatcher.match(new IdentityMatcher.Target(address("192.0.2.99"), 6379, 1L, HOST_NS), one)
        .hostPid()).isEqualTo(4001);
    assertThat(IdentityMatcher.match(new IdentityMatcher.Target(address("192.0.2.99"), 6379, 1L, HOST_NS), node)
        .status()).isEqualTo(Identity.Status.NO_MATCH);
  }

  @Test
  void noServerOnTheHostIsNoMatch() {
    assertThat(IdentityMatcher.match(new IdentityMatcher.Target(LOOPBACK, 6379, 1L, HOST_NS), List.of()).status())
        .isEqualTo(Identity.Status.NO_MATCH);
  }

  private Identity match(final String ip, final int port, final Long processId) {
    return IdentityMatcher.match(new IdentityMatcher.Target(address(ip), port, processId, HOST_NS), node);
  }

  private static InetAddress address(final String ip) {
    try {
      return InetAddress.getByName(ip);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
