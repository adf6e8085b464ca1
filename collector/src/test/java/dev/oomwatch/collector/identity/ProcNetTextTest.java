package dev.oomwatch.collector.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** /proc/PID/net files captured from a pod's namespace and the host's (fixtures/procnet). */
class ProcNetTextTest {

  @Test
  void aPodNamespaceOwnsItsVethAddressAndLoopback() throws Exception {
    assertThat(ProcNetText.localAddresses(fixture("pod-netns/fib_trie")))
        .containsExactlyInAnyOrder(InetAddress.getByName("10.233.7.2"), InetAddress.getByName("127.0.0.1"));
    assertThat(ProcNetText.localAddresses6(fixture("pod-netns/if_inet6")))
        .contains(InetAddress.getByName("::1"));
  }

  @Test
  void theHostNamespaceDoesNotOwnThePodsAddress() throws Exception {
    assertThat(ProcNetText.localAddresses(fixture("host-netns/fib_trie")))
        .contains(InetAddress.getByName("127.0.0.1"))
        .doesNotContain(InetAddress.getByName("10.233.7.2"));
  }

  @Test
  void readsListenSocketsWithTheirPortAndInodeAndSkipsConnections() throws Exception {
    assertThat(ProcNetText.listening(fixture("pod-netns/tcp")))
        .containsExactly(new ProcNetText.ListenSocket(InetAddress.getByName("0.0.0.0"), 6379, 25635));
    assertThat(ProcNetText.listening(fixture("host-netns/tcp"))).allMatch(l -> l.port() > 0)
        .noneMatch(l -> l.inode() == 0);
  }

  @Test
  void kernelByteOrderIsLittleEndianPerWord() throws Exception {
    assertThat(ProcNetText.kernelAddress("0100007F")).isEqualTo(InetAddress.getByName("127.0.0.1"));
    assertThat(ProcNetText.kernelAddress("0207E90A")).isEqualTo(InetAddress.getByName("10.233.7.2"));
    assertThat(ProcNetText.kernelAddress("0000000000000000FFFF00000100007F"))
        .isEqualTo(InetAddress.getByName("127.0.0.1"));
    assertThat(ProcNetText.kernelAddress("00000000000000000000000001000000")).isEqualTo(InetAddress.getByName("::1"));
  }

  @Test
  void truncatedOrGarbledTablesGiveWhatCanBeRead() {
    assertThat(ProcNetText.listening("  sl  local_address\n   0: 00000000:18EB 00000000:0000 0A 0000")).isEmpty();
    assertThat(ProcNetText.listening("   0: ZZZZ:18EB 00000000:0000 0A 0:0 0:0 0 0 0 1 1")).isEmpty();
    assertThat(ProcNetText.localAddresses("|-- 999.1.1.1\n /32 host LOCAL")).isEmpty();
    assertThat(ProcNetText.localAddresses(null)).isEmpty();
  }

  static String fixture(final String name) throws Exception {
    return new String(ProcNetTextTest.class.getResourceAsStream("/fixtures/procnet/" + name).readAllBytes());
  }
}
