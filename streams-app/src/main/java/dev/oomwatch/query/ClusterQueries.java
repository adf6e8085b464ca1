package dev.oomwatch.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.oomwatch.history.HistoryStores;
import dev.oomwatch.streams.OomwatchTopology;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Answers for the whole cluster of streams-app instances: a question about one host goes to the
 * instance owning that host's partition (every store is partitioned by host, as the input topics
 * are); a question about everything asks every instance that owns part of the store and merges.
 */
class ClusterQueries {
  private static final StringSerializer KEYS = new StringSerializer();

  private final KafkaStreams streams;
  private final LocalQueries local;
  private final RemoteQueries remote;
  private final HostInfo self;
  private final ObjectMapper json;

  ClusterQueries(final KafkaStreams streams, final LocalQueries local, final RemoteQueries remote,
      final HostInfo self, final ObjectMapper json) {
    this.streams = streams;
    this.local = local;
    this.remote = remote;
    this.self = self;
    this.json = json;
  }

  /** An answer and the instance that gave it (this one, or the owner it was fetched from). */
  record Answer(JsonNode body, HostInfo servedBy) {}

  Answer alerts(final AlertFilter filter, final String pathAndQuery, final boolean localOnly) {
    return everywhere(HistoryStores.ALERT_BOARD, pathAndQuery, localOnly, () -> local.alerts(filter));
  }

  Answer instances(final String pathAndQuery, final boolean localOnly) {
    return everywhere(OomwatchTopology.INSTANCES, pathAndQuery, localOnly, local::instances);
  }

  /** Every instance's sizing advice, the smallest headroom at its next worst-case fork first. */
  Answer sizing(final String pathAndQuery, final boolean localOnly) {
    final Answer all = everywhere(OomwatchTopology.INSTANCES, pathAndQuery, localOnly, local::sizing);
    final List<JsonNode> sorted = new java.util.ArrayList<>();
    all.body().forEach(sorted::add);
    sorted.sort(java.util.Comparator.comparingLong((JsonNode n) -> n.path("sizing").path("headroomBytes").asLong()));
    final ArrayNode out = json.createArrayNode();
    sorted.forEach(out::add);
    return new Answer(out, all.servedBy());
  }

  /**
   * The newest {@code limit} kills of the whole fleet, newest first, and any more sharing the oldest
   * one's millisecond: each owner's newest, merged and cut.
   */
  Answer incidents(final long fromMs, final long toMs, final int limit, final boolean snapshots,
      final String pathAndQuery, final boolean localOnly) {
    final Answer all = everywhere(HistoryStores.KILLS, pathAndQuery, localOnly,
        () -> local.incidents(fromMs, toMs, limit, snapshots));
    final List<JsonNode> sorted = new java.util.ArrayList<>();
    all.body().forEach(sorted::add);
    sorted.sort(java.util.Comparator.comparingLong((JsonNode n) -> n.path("timestampMs").asLong()).reversed());
    final ArrayNode cut = json.createArrayNode();
    page(sorted, limit).forEach(cut::add);
    return new Answer(cut, all.servedBy());
  }

  /**
   * The first {@code limit} of kills sorted newest first, and those after that share the last one's
   * millisecond: a page ends between two milliseconds, so the next (up to just before) misses none.
   */
  static List<JsonNode> page(final List<JsonNode> newestFirst, final int limit) {
    int end = Math.min(limit, newestFirst.size());
    while (end > 0 && end < newestFirst.size()
        && newestFirst.get(end).path("timestampMs").asLong() == newestFirst.get(end - 1).path("timestampMs").asLong()) {
      end++;
    }
    return newestFirst.subList(0, end);
  }

  Answer timeline(final String host, final String instance, final long fromMs, final long toMs,
      final String pathAndQuery, final boolean localOnly) {
    final HostInfo owner = localOnly ? self : ownerOf(host);
    if (owner.equals(self)) {
      requireRunning();
      final KeyQueryMetadata metadata = streams.queryMetadataForKey(HistoryStores.TIMELINE, host, KEYS);
      if (metadata != null && metadata.partition() >= 0) {
        local.requireWhole(HistoryStores.TIMELINE, java.util.List.of(metadata.partition()));
      }
      return new Answer(json.valueToTree(local.timeline(host, instance, fromMs, toMs)), self);
    }
    return new Answer(remote.get(owner, pathAndQuery), owner);
  }

  /** The active owner of a host's partition. */
  HostInfo ownerOf(final String host) {
    requireRunning();
    final KeyQueryMetadata metadata = streams.queryMetadataForKey(HistoryStores.TIMELINE, host, KEYS);
    if (metadata == null || metadata.equals(KeyQueryMetadata.NOT_AVAILABLE) || metadata.activeHost() == null
        || metadata.activeHost().equals(HostInfo.unavailable())) {
      throw new NotReady("no instance owns host " + host + " right now (rebalancing)");
    }
    return metadata.activeHost();
  }

  private Answer everywhere(final String store, final String pathAndQuery, final boolean localOnly,
      final Supplier<Object> localAnswer) {
    requireRunning();
    final Collection<StreamsMetadata> owners = streams.streamsMetadataForStore(store);
    if (localOnly) {
      owners.stream().filter(o -> o.hostInfo().equals(self)).findFirst()
          .ifPresent(o -> local.requireWhole(store, partitions(o)));
      return new Answer(json.valueToTree(localAnswer.get()), self);
    }
    if (owners.isEmpty()) {
      throw new NotReady("no instance owns store " + store + " yet");
    }
    final ArrayNode merged = json.createArrayNode();
    for (final StreamsMetadata owner : owners) {
      final JsonNode part;
      if (owner.hostInfo().equals(self)) {
        local.requireWhole(store, partitions(owner));
        part = json.valueToTree(localAnswer.get());
      } else {
        part = remote.get(owner.hostInfo(), pathAndQuery);
      }
      part.forEach(merged::add);
    }
    return new Answer(merged, self);
  }

  /** The input partitions an instance holds as active: its tasks, one per partition. */
  private static java.util.Set<Integer> partitions(final StreamsMetadata owner) {
    final java.util.Set<Integer> out = new java.util.TreeSet<>();
    owner.topicPartitions().forEach(tp -> out.add(tp.partition()));
    return out;
  }

  private void requireRunning() {
    if (streams.state() != KafkaStreams.State.RUNNING) {
      throw new NotReady("the streams-app is " + streams.state());
    }
  }
}
