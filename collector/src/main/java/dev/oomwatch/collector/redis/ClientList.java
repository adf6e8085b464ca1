package dev.oomwatch.collector.redis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CLIENT LIST parsed. Each line is {@code key=value} pairs split by spaces; values never contain
 * spaces but may contain {@code =} (a client name such as {@code odd=name}), so only the first
 * {@code =} of a pair splits it.
 */
public final class ClientList {
  /** One client line; fields as CLIENT LIST names them. */
  public record Client(Map<String, String> fields) {
    public long id() {
      return longField("id", -1);
    }

    public long omem() {
      return longField("omem", 0);
    }

    public Long totMem() {
      final long v = longField("tot-mem", -1);
      return v < 0 ? null : v;
    }

    public String text(final String key) {
      final String v = fields.get(key);
      return v == null || v.isEmpty() ? null : v;
    }

    /** MONITOR clients carry flag O (and cmd=monitor). */
    public boolean isMonitor() {
      final String flags = fields.getOrDefault("flags", "");
      return flags.contains("O") || "monitor".equals(fields.get("cmd"));
    }

    private long longField(final String key, final long fallback) {
      try {
        return Long.parseLong(fields.getOrDefault(key, ""));
      } catch (NumberFormatException e) {
        return fallback;
      }
    }
  }

  private final List<Client> clients;

  private ClientList(final List<Client> clients) {
    this.clients = Collections.unmodifiableList(clients);
  }

  public static ClientList parse(final String text) {
    final List<Client> clients = new ArrayList<>();
    if (text == null) {
      return new ClientList(clients);
    }
    for (final String raw : text.split("\n")) {
      final String line = raw.strip();
      if (line.isEmpty()) {
        continue;
      }
      final Map<String, String> fields = new LinkedHashMap<>();
      for (final String pair : line.split(" ")) {
        final int eq = pair.indexOf('=');
        if (eq > 0) {
          fields.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
      }
      if (!fields.isEmpty()) {
        clients.add(new Client(fields));
      }
    }
    return new ClientList(clients);
  }

  public List<Client> clients() {
    return clients;
  }

  public List<Client> topByOutputBuffer(final int n) {
    return clients.stream().sorted(Comparator.comparingLong(Client::omem).reversed()).limit(n).toList();
  }

  public long monitorCount() {
    return clients.stream().filter(Client::isMonitor).count();
  }

  public long totalOmem() {
    return clients.stream().mapToLong(Client::omem).sum();
  }
}
