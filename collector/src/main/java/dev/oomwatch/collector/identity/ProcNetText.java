package dev.oomwatch.collector.identity;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A network namespace's own addresses and listen sockets, from the text of its {@code /proc/PID/net}
 * files: {@code fib_trie} (an IPv4 address followed by a {@code /32 host LOCAL} line is one of the
 * namespace's own), {@code if_inet6}, and {@code tcp} / {@code tcp6} (state 0A is LISTEN; addresses
 * in the kernel's byte order, little-endian words on the hosts oomwatch runs on). Pure.
 */
public final class ProcNetText {
  private static final String LISTEN = "0A";

  /** One listening TCP socket: its address (0.0.0.0 or :: for any), port and socket inode. */
  public record ListenSocket(InetAddress address, int port, long inode) {
    public boolean anyAddress() {
      return address.isAnyLocalAddress();
    }
  }

  private ProcNetText() {}

  /** The namespace's own IPv4 addresses (loopback included) from fib_trie. */
  public static Set<InetAddress> localAddresses(final String fibTrie) {
    final Set<InetAddress> out = new LinkedHashSet<>();
    if (fibTrie == null) {
      return out;
    }
    String last = null;
    for (final String raw : fibTrie.split("\n")) {
      final String line = raw.trim();
      if (line.startsWith("|-- ")) {
        last = line.substring(4).trim();
      } else if (line.startsWith("/32 host LOCAL") && last != null) {
        final InetAddress a = parse(last);
        if (a != null) {
          out.add(a);
        }
      }
    }
    return out;
  }

  /** The namespace's own IPv6 addresses from if_inet6 (32 hex digits, then index, prefix, scope, flags, name). */
  public static Set<InetAddress> localAddresses6(final String ifInet6) {
    final Set<InetAddress> out = new LinkedHashSet<>();
    if (ifInet6 == null) {
      return out;
    }
    for (final String line : ifInet6.split("\n")) {
      final String[] f = line.trim().split("\\s+");
      if (f.length >= 1 && f[0].length() == 32) {
        final byte[] bytes = hexBytes(f[0]);
        if (bytes != null) {
          try {
            out.add(InetAddress.getByAddress(bytes));
          } catch (UnknownHostException e) {
            // 16 bytes is always an address
          }
        }
      }
    }
    return out;
  }

  /** LISTEN sockets of a tcp or tcp6 table; a malformed line is skipped. */
  public static List<ListenSocket> listening(final String table) {
    final List<ListenSocket> out = new ArrayList<>();
    if (table == null) {
      return out;
    }
    for (final String line : table.split("\n")) {
      final String[] f = line.trim().split("\\s+");
      if (f.length < 10 || !f[0].endsWith(":") || !LISTEN.equals(f[3])) {
        continue;
      }
      final int colon = f[1].indexOf(':');
      if (colon < 0) {
        continue;
      }
      try {
        final InetAddress address = kernelAddress(f[1].substring(0, colon));
        final int port = Integer.parseInt(f[1].substring(colon + 1), 16);
        if (address != null) {
          out.add(new ListenSocket(address, port, Long.parseLong(f[9])));
        }
      } catch (NumberFormatException e) {
        // a line this parser does not understand: skipped, never fatal
      }
    }
    return out;
  }

  /** "0100007F" is 127.0.0.1: each 32-bit word of the address is written little-endian. */
  static InetAddress kernelAddress(final String hex) {
    if (hex.length() != 8 && hex.length() != 32) {
      return null;
    }
    final byte[] raw = hexBytes(hex);
    if (raw == null) {
      return null;
    }
    final byte[] bytes = new byte[raw.length];
    for (int word = 0; word < raw.length; word += 4) {
      for (int i = 0; i < 4; i++) {
        bytes[word + i] = raw[word + 3 - i];
      }
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static byte[] hexBytes(final String hex) {
    if (hex.length() % 2 != 0) {
      return null;
    }
    final byte[] out = new byte[hex.length() / 2];
    for (int i = 0; i < out.length; i++) {
      final int hi = Character.digit(hex.charAt(2 * i), 16);
      final int lo = Character.digit(hex.charAt(2 * i + 1), 16);
      if (hi < 0 || lo < 0) {
        return null;
      }
      out[i] = (byte) (hi << 4 | lo);
    }
    return out;
  }

  private static InetAddress parse(final String dotted) {
    final String[] parts = dotted.split("\\.");
    if (parts.length != 4) {
      return null;
    }
    final byte[] b = new byte[4];
    try {
      for (int i = 0; i < 4; i++) {
        final int v = Integer.parseInt(parts[i]);
        if (v < 0 || v > 255) {
          return null;
        }
        b[i] = (byte) v;
      }
      return InetAddress.getByAddress(b);
    } catch (NumberFormatException | UnknownHostException e) {
      return null;
    }
  }
}
