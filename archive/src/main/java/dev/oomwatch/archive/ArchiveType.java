package dev.oomwatch.archive;

import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.topics.Topic;
import java.util.Optional;
import org.apache.avro.Schema;

/**
 * What the archive keeps: one folder and one SQL view per type, its rows the Avro schema's fields
 * (the public data contract) and its date and hour those of the record's own time.
 */
public enum ArchiveType {
  REDIS_SAMPLES(Topic.REDIS_SAMPLES, "redis_samples", RedisSample.getClassSchema(), "timestampMs"),
  HOST_SAMPLES(Topic.HOST_SAMPLES, "host_samples", HostSample.getClassSchema(), "timestampMs"),
  KERNEL_EVENTS(Topic.KERNEL_EVENTS, "kernel_events", KernelEvent.getClassSchema(), "timestampMs"),
  ALERTS(Topic.ALERTS, "alerts", Alert.getClassSchema(), "eventTimeMs");

  private final Topic topic;
  private final String table;
  private final Schema schema;
  private final String timeField;

  ArchiveType(final Topic topic, final String table, final Schema schema, final String timeField) {
    this.topic = topic;
    this.table = table;
    this.schema = schema;
    this.timeField = timeField;
  }

  public Topic topic() {
    return topic;
  }

  /** The folder's name and the SQL view's. */
  public String table() {
    return table;
  }

  public Schema schema() {
    return schema;
  }

  public String timeField() {
    return timeField;
  }

  public static Optional<ArchiveType> of(final Topic topic) {
    for (final ArchiveType t : values()) {
      if (t.topic == topic) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
