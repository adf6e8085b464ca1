package dev.oomwatch.topics;

import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.DeadLetter;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.RedisSample;
import java.time.Duration;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;

/**
 * The topics of the data contract, in one place. Every topic is keyed by host so that one host's
 * samples, kernel events and alerts meet on one partition.
 */
public enum Topic {
  REDIS_SAMPLES("redis-samples", RedisSample.class, Duration.ofDays(7), false),
  HOST_SAMPLES("host-samples", HostSample.class, Duration.ofDays(7), false),
  KERNEL_EVENTS("kernel-events", KernelEvent.class, Duration.ofDays(90), false),
  ALERTS("alerts", Alert.class, Duration.ofDays(90), false),
  /** Current state per (host, instance, type); compacted, so it is the latest word on each. */
  ALERT_STATE("alert-state", Alert.class, Duration.ofDays(90), true),
  /**
   * The alerts again, each as the JSON of {@code oomwatch alerts --json} in UTF-8 text, same key:
   * for consumers without Avro (kcat, Kafka Connect's JsonConverter, a script). No value type.
   */
  ALERTS_JSON("alerts-json", null, Duration.ofDays(90), false),
  DEAD_LETTERS("dead-letters", DeadLetter.class, Duration.ofDays(14), false),
  /**
   * Every writer schema in use, keyed by its name and fingerprint, its JSON as the value; compacted.
   * Writers publish theirs when they start, so a reader older than a writer resolves the writer's
   * newer schema from here instead of refusing its records ({@code dev.oomwatch.wire.SchemaTopic}).
   */
  SCHEMAS("schemas", null, Duration.ofDays(90), true);

  public static final String DEFAULT_PREFIX = "oomwatch.";

  private final String shortName;
  private final Class<? extends SpecificRecord> valueType;
  private final Duration defaultRetention;
  private final boolean compacted;

  Topic(
      final String shortName,
      final Class<? extends SpecificRecord> valueType,
      final Duration defaultRetention,
      final boolean compacted) {
    this.shortName = shortName;
    this.valueType = valueType;
    this.defaultRetention = defaultRetention;
    this.compacted = compacted;
  }

  public String shortName() {
    return shortName;
  }

  public String fullName(final String prefix) {
    return prefix + shortName;
  }

  /** The Avro class of the values; null for {@link #ALERTS_JSON}, whose values are JSON text. */
  public Class<? extends SpecificRecord> valueType() {
    return valueType;
  }

  public Duration defaultRetention() {
    return defaultRetention;
  }

  public boolean compacted() {
    return compacted;
  }

  /** Samples share one retention setting, alerts and events another. */
  /** What the streams-app reads: the collectors' three topics. */
  public static java.util.List<Topic> inputs() {
    return java.util.List.of(REDIS_SAMPLES, HOST_SAMPLES, KERNEL_EVENTS);
  }

  /** The inputs' full names under {@code prefix}. */
  public static java.util.List<String> inputNames(final String prefix) {
    return inputs().stream().map(t -> t.fullName(prefix)).toList();
  }

  public boolean isSample() {
    return this == REDIS_SAMPLES || this == HOST_SAMPLES;
  }

  /** Finds a topic by its short name ({@code alerts}) or its full name ({@code oomwatch.alerts}). */
  public static Optional<Topic> byName(final String name, final String prefix) {
    // called for every record the streams-app reads: a loop without streams or concatenation
    // (the stream pipeline was 8% of the stream thread, JFR)
    for (final Topic t : VALUES) {
      if (t.shortName.equals(name) || (name.length() == prefix.length() + t.shortName.length()
          && name.startsWith(prefix) && name.endsWith(t.shortName))) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  private static final Topic[] VALUES = values();
}
