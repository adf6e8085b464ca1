package dev.oomwatch.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** How far a consumer group (a Kafka Streams application) is behind the end of its input topics. */
final class Lag {
  private final Admin admin;
  private final List<TopicPartition> inputs;

  Lag(final Admin admin, final List<TopicPartition> inputs) {
    this.admin = admin;
    this.inputs = inputs;
  }

  long of(final String groupId) throws ExecutionException, InterruptedException {
    final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    inputs.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
    final Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get();
    final Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get();
    long lag = 0;
    for (final TopicPartition tp : inputs) {
      final OffsetAndMetadata c = committed.get(tp);
      lag += ends.get(tp).offset() - (c == null ? 0 : c.offset());
    }
    return lag;
  }
}
