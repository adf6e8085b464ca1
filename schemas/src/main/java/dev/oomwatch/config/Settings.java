package dev.oomwatch.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Every oomwatch setting as a flat key/value map, layered: a properties file, then the
 * environment ({@code OOMWATCH_SAMPLE_INTERVAL} is {@code sample.interval}), then command-line
 * flags. Keys under {@code kafka.} pass through to every Kafka client unchanged (security.protocol,
 * sasl.*, ssl.*). Typed configuration classes in each module read from here.
 */
public final class Settings {
  public static final String ENV_PREFIX = "OOMWATCH_";
  public static final String KAFKA_PREFIX = "kafka.";
  private static final Pattern SECRET =
      Pattern.compile(".*(password|passwd|secret|jaas|token|credential|key\\.password|keystore\\.key|auth).*");

  private final Map<String, String> values;

  private Settings(final Map<String, String> values) {
    this.values = Collections.unmodifiableMap(new TreeMap<>(values));
  }

  public static Settings of(final Map<String, String> values) {
    return new Settings(values);
  }

  public static Settings empty() {
    return new Settings(Map.of());
  }

  /** File (may be null), then environment, then flags; later layers win. */
  public static Settings load(
      final Path file, final Map<String, String> environment, final Map<String, String> flags) {
    final Map<String, String> merged = new TreeMap<>();
    if (file != null) {
      merged.putAll(readFile(file));
    }
    merged.putAll(fromEnvironment(environment));
    flags.forEach((k, v) -> {
      if (v != null) {
        merged.put(k, v);
      }
    });
    return new Settings(merged);
  }

  static Map<String, String> readFile(final Path file) {
    final Properties properties = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read config file " + file + ": " + e.getMessage(), e);
    }
    final Map<String, String> map = new TreeMap<>();
    properties.stringPropertyNames().forEach(k -> map.put(k.trim(), properties.getProperty(k).trim()));
    return map;
  }

  static Map<String, String> fromEnvironment(final Map<String, String> environment) {
    final Map<String, String> map = new TreeMap<>();
    environment.forEach((name, value) -> {
      if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
        map.put(name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
      }
    });
    return map;
  }

  /** A copy with more values on top (for flags known only after parsing). */
  public Settings with(final Map<String, String> more) {
    final Map<String, String> merged = new TreeMap<>(values);
    more.forEach((k, v) -> {
      if (v != null) {
        merged.put(k, v);
      }
    });
    return new Settings(merged);
  }

  public Optional<String> get(final String key) {
    return Optional.ofNullable(values.get(key)).filter(v -> !v.isBlank());
  }

  public String get(final String key, final String fallback) {
    return get(key).orElse(fallback);
  }

  public int getInt(final String key, final int fallback) {
    return get(key).map(v -> parse(key, v, Integer::parseInt)).orElse(fallback);
  }

  public long getLong(final String key, final long fallback) {
    return get(key).map(v -> parse(key, v, Long::parseLong)).orElse(fallback);
  }

  public double getDouble(final String key, final double fallback) {
    return get(key).map(v -> parse(key, v, Double::parseDouble)).orElse(fallback);
  }

  public boolean getBoolean(final String key, final boolean fallback) {
    return get(key).map(v -> parse(key, v, Settings::parseBoolean)).orElse(fallback);
  }

  public Duration getDuration(final String key, final Duration fallback) {
    return get(key).map(v -> parse(key, v, Durations::parse)).orElse(fallback);
  }

  /** Comma-separated list; blank entries dropped. */
  public List<String> getList(final String key) {
    return get(key)
        .map(v -> Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList())
        .orElse(List.of());
  }

  /** Every {@code kafka.*} setting with the prefix removed: what a Kafka client takes. */
  public Map<String, Object> kafkaClientProperties() {
    final Map<String, Object> map = new TreeMap<>();
    values.forEach((k, v) -> {
      if (k.startsWith(KAFKA_PREFIX)) {
        map.put(k.substring(KAFKA_PREFIX.length()), v);
      }
    });
    return map;
  }

  public Map<String, String> asMap() {
    return values;
  }

  /** For logs: every value whose key smells of a secret is masked. */
  public Map<String, String> redacted() {
    final Map<String, String> map = new TreeMap<>();
    values.forEach((k, v) -> map.put(k, isSecret(k) ? "[redacted]" : v));
    return map;
  }

  public static boolean isSecret(final String key) {
    return SECRET.matcher(key.toLowerCase(Locale.ROOT)).matches();
  }

  private static boolean parseBoolean(final String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw new IllegalArgumentException("not a boolean");
    };
  }

  private interface Parser<T> {
    T parse(String value);
  }

  private static <T> T parse(final String key, final String value, final Parser<T> parser) {
    try {
      return parser.parse(value.trim());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("setting " + key + "=" + value + " is not valid: " + e.getMessage(), e);
    }
  }
}
