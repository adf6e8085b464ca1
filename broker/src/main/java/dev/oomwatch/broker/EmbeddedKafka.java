package dev.oomwatch.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka (KRaft, broker and controller in one process), not a mock. Storage is
 * formatted once in the data folder and reused on the next start, so a restart keeps its topics
 * and records. Internal topics use replication factor 1 because there is only one node.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final String CONTROLLER = "CONTROLLER";
  private static final int NODE_ID = 1;

  private final Path dataDir;
  private final String host;
  private final int port;
  private final int controllerPort;
  private KafkaRaftServer server;

  private EmbeddedKafka(final Path dataDir, final String host, final int port, final int controllerPort) {
    this.dataDir = dataDir;
    this.host = host;
    this.port = port;
    this.controllerPort = controllerPort;
  }

  /** A broker on the given port (0 picks a free one); the controller takes another free port. */
  public static EmbeddedKafka start(final Path dataDir, final int port) {
    final EmbeddedKafka kafka =
        new EmbeddedKafka(dataDir.toAbsolutePath(), "127.0.0.1", port == 0 ? freePort() : port, freePort());
    kafka.startServer();
    return kafka;
  }

  public String bootstrapServers() {
    return host + ":" + port;
  }

  public int port() {
    return port;
  }

  public Path dataDir() {
    return dataDir;
  }

  private void startServer() {
    final Path logDir = dataDir.resolve("logs");
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create Kafka data folder " + logDir, e);
    }
    final Map<String, Object> props = serverProperties(logDir);
    if (!Files.exists(logDir.resolve("meta.properties"))) {
      format(logDir);
    }
    final KafkaConfig config = new KafkaConfig(props, false);
    server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
    LOG.info("Kafka broker (KRaft, in-process) up at {}, data in {}", bootstrapServers(), dataDir);
  }

  private Map<String, Object> serverProperties(final Path logDir) {
    final Map<String, Object> props = new HashMap<>();
    props.put("process.roles", "broker,controller");
    props.put("node.id", String.valueOf(NODE_ID));
    props.put("listeners", "PLAINTEXT://" + host + ":" + port + "," + CONTROLLER + "://" + host + ":" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://" + host + ":" + port);
    props.put("controller.listener.names", CONTROLLER);
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("controller.quorum.voters", NODE_ID + "@" + host + ":" + controllerPort);
    props.put("log.dirs", logDir.toString());
    // One node: every internal topic has exactly one replica.
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("default.replication.factor", "1");
    props.put("min.insync.replicas", "1");
    // Local runs and tests want consumers to start at once, not after the 3 s rebalance delay.
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("auto.create.topics.enable", "false");
    props.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
    props.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
    return props;
  }

  private void format(final Path logDir) {
    final String clusterId = Uuid.randomUuid().toString();
    try {
      new Formatter()
          .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
          .setNodeId(NODE_ID)
          .setClusterId(clusterId)
          .setDirectories(List.of(logDir.toString()))
          .setMetadataLogDirectory(logDir.toString())
          .setControllerListenerName(CONTROLLER)
          .setReleaseVersion(MetadataVersion.latestProduction())
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format Kafka storage in " + logDir + ": " + e.getMessage(), e);
    }
    LOG.info("formatted Kafka storage in {} (cluster {})", logDir, clusterId);
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      server.shutdown();
      server.awaitShutdown();
      server = null;
      LOG.info("Kafka broker at {} stopped", bootstrapServers());
    }
  }

  /** A port free on the loopback interface right now. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress("127.0.0.1", 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port", e);
    }
  }
}
