package dev.oomwatch.topics;

import java.util.Map;

/** What one topic should look like: name, partitions, replication and the configs we care about. */
public record TopicSpec(Topic topic, String name, int partitions, short replicationFactor, Map<String, String> configs) {}
