package dev.oomwatch.streams;

import dev.oomwatch.schema.DeadLetter;
import dev.oomwatch.topics.Topic;
import dev.oomwatch.wire.AvroSerde;
import dev.oomwatch.wire.Serdes;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes every input record by the topic it came from. A record that does not decode goes to the
 * dead-letter topic with the reason and its original bytes, and the app goes on: one bad producer
 * cannot stop the alerts of every other host.
 */
final class DecodeProcessor implements Processor<String, byte[], String, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(DecodeProcessor.class);

  private final String prefix;
  private final PipelineMetrics metrics;
  private ProcessorContext<String, Object> context;
  private long deadLetters;

  DecodeProcessor(final String prefix, final PipelineMetrics metrics) {
    this.prefix = prefix;
    this.metrics = metrics;
  }

  @Override
  public void init(final ProcessorContext<String, Object> context) {
    this.context = context;
  }

  @Override
  public void process(final Record<String, byte[]> record) {
    final Optional<RecordMetadata> meta = context.recordMetadata();
    final String topic = meta.map(RecordMetadata::topic).orElse("?");
    try {
      final Topic source = Topic.byName(topic, prefix)
          .orElseThrow(() -> new SerializationException("record from unexpected topic " + topic));
      final AvroSerde<? extends SpecificRecord> serde = Serdes.forTopic(source);
      final SpecificRecord value = serde.decode(topic, record.value());
      if (value == null) {
        throw new SerializationException("empty record (tombstone) on " + topic);
      }
      if (record.key() == null) {
        throw new SerializationException("record without a host key on " + topic);
      }
      metrics.record(source.shortName());
      context.forward(record.withValue((Object) value), OomwatchTopology.DETECT);
    } catch (SerializationException e) {
      deadLetters++;
      metrics.deadLetter(Topic.byName(topic, prefix).map(Topic::shortName).orElse(topic));
      if (deadLetters == 1 || deadLetters % 1000 == 0) {
        LOG.warn("record sent to the dead-letter topic ({} so far): {}", deadLetters, e.getMessage());
      }
      final DeadLetter letter = DeadLetter.newBuilder()
          .setSourceTopic(topic)
          .setSourcePartition(meta.map(RecordMetadata::partition).orElse(-1))
          .setSourceOffset(meta.map(RecordMetadata::offset).orElse(-1L))
          .setSourceTimestampMs(record.timestamp())
          .setReason(e.getMessage())
          .setFailedAtMs(System.currentTimeMillis())
          .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
          .setValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
          .build();
      context.forward(record.withValue((Object) letter), OomwatchTopology.DEAD_LETTER_SINK);
    }
  }
}
