package dev.oomwatch.wire;

import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.DeadLetter;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.topics.Topic;
import java.util.EnumMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/** The one shared serde per contract type. Serdes are thread-safe and cheap to share. */
public final class Serdes {
  private static final AvroSerde<RedisSample> REDIS_SAMPLE = new AvroSerde<>(RedisSample.class);
  private static final AvroSerde<HostSample> HOST_SAMPLE = new AvroSerde<>(HostSample.class);
  private static final AvroSerde<KernelEvent> KERNEL_EVENT = new AvroSerde<>(KernelEvent.class);
  private static final AvroSerde<Alert> ALERT = new AvroSerde<>(Alert.class);
  private static final AvroSerde<DeadLetter> DEAD_LETTER = new AvroSerde<>(DeadLetter.class);
  private static final Map<Topic, AvroSerde<? extends SpecificRecord>> BY_TOPIC = byTopic();

  private Serdes() {}

  public static AvroSerde<RedisSample> redisSample() {
    return REDIS_SAMPLE;
  }

  public static AvroSerde<HostSample> hostSample() {
    return HOST_SAMPLE;
  }

  public static AvroSerde<KernelEvent> kernelEvent() {
    return KERNEL_EVENT;
  }

  public static AvroSerde<Alert> alert() {
    return ALERT;
  }

  public static AvroSerde<DeadLetter> deadLetter() {
    return DEAD_LETTER;
  }

  public static AvroSerde<? extends SpecificRecord> forTopic(final Topic topic) {
    return BY_TOPIC.get(topic);
  }

  private static Map<Topic, AvroSerde<? extends SpecificRecord>> byTopic() {
    final Map<Topic, AvroSerde<? extends SpecificRecord>> map = new EnumMap<>(Topic.class);
    map.put(Topic.REDIS_SAMPLES, REDIS_SAMPLE);
    map.put(Topic.HOST_SAMPLES, HOST_SAMPLE);
    map.put(Topic.KERNEL_EVENTS, KERNEL_EVENT);
    map.put(Topic.ALERTS, ALERT);
    map.put(Topic.ALERT_STATE, ALERT);
    map.put(Topic.DEAD_LETTERS, DEAD_LETTER);
    return map;
  }
}
