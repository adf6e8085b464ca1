package dev.oomwatch.streams;

import dev.oomwatch.schema.DeadLetter;
import dev.oomwatch.wire.Serdes;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A record whose processing throws (a detector's bug, a state it did not foresee) goes to the dead
 * letters with the exception as its reason, its source bytes as they came, and the partition goes
 * on: without this the stream thread dies on it, is replaced, and meets the same record again,
 * forever. The letter is produced by Streams itself (KIP-1034), in the same transaction as the
 * offsets it moves past.
 */
public final class ProcessingDeadLetters implements ProcessingExceptionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessingDeadLetters.class);
  static final String TOPIC = "oomwatch.processing.dead.letters.topic";
  static final String METRICS = "oomwatch.processing.dead.letters.metrics";
  private static final AtomicLong SENT = new AtomicLong();

  private final Serializer<DeadLetter> letters = Serdes.deadLetter().serializer();
  private String topic;
  private PipelineMetrics metrics;

  /** Sets the handler, the dead letters' topic and where they are counted in {@code props}. */
  public static void install(final Properties props, final String deadLetterTopic, final PipelineMetrics metrics) {
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, ProcessingDeadLetters.class.getName());
    props.put(TOPIC, deadLetterTopic);
    props.put(METRICS, metrics);
  }

  @Override
  public void configure(final Map<String, ?> configs) {
    topic = String.valueOf(configs.get(TOPIC));
    metrics = configs.get(METRICS) instanceof PipelineMetrics m ? m : new PipelineMetrics();
  }

  @Override
  public Response handleError(final ErrorHandlerContext context, final Record<?, ?> record, final Exception e) {
    if (record == null || context.topic() == null) {
      // a punctuation, not a record: there is nothing to set aside, and the task goes on
      LOG.error("a punctuation failed in {} and is skipped: {}", context.processorNodeId(), e.toString(), e);
      return Response.resume();
    }
    final long n = SENT.incrementAndGet();
    metrics.deadLetter(context.topic());
    if (n == 1 || n % 1000 == 0) {
      LOG.error("a record from {}-{} at offset {} failed in {} and went to the dead letters ({} so far); the "
          + "partition goes on: {}", context.topic(), context.partition(), context.offset(), context.processorNodeId(), n,
          e.toString(), e);
    }
    final byte[] key = context.sourceRawKey();
    final byte[] value = context.sourceRawValue();
    final DeadLetter letter = DeadLetter.newBuilder()
        .setSourceTopic(context.topic())
        .setSourcePartition(context.partition())
        .setSourceOffset(context.offset())
        .setSourceTimestampMs(context.timestamp())
        .setReason("processing failed in " + context.processorNodeId() + ": " + e)
        .setFailedAtMs(System.currentTimeMillis())
        .setKey(key == null ? null : ByteBuffer.wrap(key))
        .setValue(value == null ? null : ByteBuffer.wrap(value))
        .build();
    return Response.resume(List.of(new ProducerRecord<>(topic, key, letters.serialize(topic, letter))));
  }
}
