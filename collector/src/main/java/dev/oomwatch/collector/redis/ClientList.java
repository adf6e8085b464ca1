package dev.oomwatch.collector.redis;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * What a sample needs of CLIENT LIST, read in one pass over the reply's bytes without building it
 * as text: how many clients, how many MONITOR, the sum of their output buffers, and the
 * {@code top} clients by output buffer (the only ones whose fields become strings). Memory is that
 * of {@code top} clients whatever the reply's size: 50,000 clients cost what 5 do. Each line is
 * {@code key=value} pairs split by spaces; values never contain spaces but may contain {@code =}
 * (a client name such as {@code odd=name}), so only the first {@code =} of a pair splits it.
 */
public final class ClientList {
  /** One of the top clients, with the fields a sample keeps. */
  public record Client(long id, String addr, String name, String cmd, String flags, long omem, Long totMem) {}

  private final long count;
  private final long monitorCount;
  private final long totalOmem;
  private final List<Client> top;

  private ClientList(final long count, final long monitorCount, final long totalOmem, final List<Client> top) {
    this.count = count;
    this.monitorCount = monitorCount;
    this.totalOmem = totalOmem;
    this.top = top;
  }

  public static ClientList parse(final String text, final int top) {
    return parse(text == null ? null : ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), top);
  }

  /** The reply as Lettuce hands it over; its position is not moved. */
  public static ClientList parse(final ByteBuffer reply, final int top) {
    if (reply == null) {
      return new ClientList(0, 0, 0, List.of());
    }
    final Scan scan = new Scan(reply, Math.max(0, top));
    scan.run();
    final List<Client> kept = new ArrayList<>(scan.heap);
    kept.sort(Comparator.comparingLong(Client::omem).reversed());
    return new ClientList(scan.count, scan.monitors, scan.omemSum, List.copyOf(kept));
  }

  public long count() {
    return count;
  }

  /** The clients with the largest output buffers, largest first; at most the {@code top} parsed with, and n. */
  public List<Client> topByOutputBuffer(final int n) {
    return top.size() <= n ? top : top.subList(0, n);
  }

  public long monitorCount() {
    return monitorCount;
  }

  public long totalOmem() {
    return totalOmem;
  }

  /** One pass over the bytes: per line, where each wanted field's value starts and ends. */
  private static final class Scan {
    private final ByteBuffer b;
    private final int top;
    private final PriorityQueue<Client> heap = new PriorityQueue<>(Comparator.comparingLong(Client::omem));
    private long count;
    private long monitors;
    private long omemSum;
    // value bounds of the fields of the current line, -1 when absent
    private int idAt, idEnd, addrAt, addrEnd, nameAt, nameEnd, cmdAt, cmdEnd, flagsAt, flagsEnd, omemAt, omemEnd,
        totAt, totEnd;

    Scan(final ByteBuffer b, final int top) {
      this.b = b;
      this.top = top;
    }

    void run() {
      final int end = b.limit();
      int at = b.position();
      // RESP3 hands CLIENT LIST over as a verbatim string, which may keep its "txt:" format mark
      if (end - at >= 4 && b.get(at) == 't' && b.get(at + 1) == 'x' && b.get(at + 2) == 't' && b.get(at + 3) == ':') {
        at += 4;
      }
      while (at < end) {
        int lineEnd = at;
        while (lineEnd < end && b.get(lineEnd) != '\n') {
          lineEnd++;
        }
        line(at, lineEnd);
        at = lineEnd + 1;
      }
    }

    private void line(final int from, final int to) {
      idAt = addrAt = nameAt = cmdAt = flagsAt = omemAt = totAt = -1;
      boolean anyField = false;
      int at = from;
      while (at < to) {
        while (at < to && (b.get(at) == ' ' || b.get(at) == '\r')) {
          at++;
        }
        final int pairStart = at;
        int eq = -1;
        while (at < to && b.get(at) != ' ' && b.get(at) != '\r') {
          if (eq < 0 && b.get(at) == '=') {
            eq = at;
          }
          at++;
        }
        if (eq > pairStart) {
          anyField = true;
          field(pairStart, eq, eq + 1, at);
        }
      }
      if (!anyField) {
        return;
      }
      count++;
      final long omem = number(omemAt, omemEnd, 0);
      omemSum += omem;
      if (contains(flagsAt, flagsEnd, (byte) 'O') || equals(cmdAt, cmdEnd, "monitor")) {
        monitors++;
      }
      if (top == 0 || (heap.size() >= top && omem <= heap.peek().omem())) {
        return;
      }
      final long tot = number(totAt, totEnd, -1);
      heap.add(new Client(number(idAt, idEnd, -1), text(addrAt, addrEnd, ""), textOrNull(nameAt, nameEnd),
          textOrNull(cmdAt, cmdEnd), text(flagsAt, flagsEnd, ""), omem, tot < 0 ? null : tot));
      if (heap.size() > top) {
        heap.poll();
      }
    }

    private void field(final int key, final int keyEnd, final int value, final int valueEnd) {
      if (is(key, keyEnd, "id")) {
        idAt = value;
        idEnd = valueEnd;
      } else if (is(key, keyEnd, "addr")) {
        addrAt = value;
        addrEnd = valueEnd;
      } else if (is(key, keyEnd, "name")) {
        nameAt = value;
        nameEnd = valueEnd;
      } else if (is(key, keyEnd, "cmd")) {
        cmdAt = value;
        cmdEnd = valueEnd;
      } else if (is(key, keyEnd, "flags")) {
        flagsAt = value;
        flagsEnd = valueEnd;
      } else if (is(key, keyEnd, "omem")) {
        omemAt = value;
        omemEnd = valueEnd;
      } else if (is(key, keyEnd, "tot-mem")) {
        totAt = value;
        totEnd = valueEnd;
      }
    }

    private boolean is(final int from, final int to, final String word) {
      if (to - from != word.length()) {
        return false;
      }
      for (int i = 0; i < word.length(); i++) {
        if (b.get(from + i) != word.charAt(i)) {
          return false;
        }
      }
      return true;
    }

    private boolean equals(final int from, final int to, final String word) {
      return from >= 0 && is(from, to, word);
    }

    private boolean contains(final int from, final int to, final byte c) {
      for (int i = from; from >= 0 && i < to; i++) {
        if (b.get(i) == c) {
          return true;
        }
      }
      return false;
    }

    /** A decimal field, else the fallback (absent, empty, not a number, or past 18 digits). */
    private long number(final int from, final int to, final long fallback) {
      if (from < 0 || to <= from || to - from > 18) {
        return fallback;
      }
      long n = 0;
      for (int i = from; i < to; i++) {
        final int d = b.get(i) - '0';
        if (d < 0 || d > 9) {
          return fallback;
        }
        n = n * 10 + d;
      }
      return n;
    }

    private String text(final int from, final int to, final String fallback) {
      if (from < 0) {
        return fallback;
      }
      final byte[] bytes = new byte[to - from];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = b.get(from + i);
      }
      return new String(bytes, StandardCharsets.UTF_8);
    }

    private String textOrNull(final int from, final int to) {
      return from < 0 || to == from ? null : text(from, to, null);
    }
  }
}
