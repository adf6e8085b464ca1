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
 * A real Kafka node (KRaft, broker and controller in one process), not a mock: alone, or one of
 * the nodes of a {@link KafkaCluster}. Storage is formatted once in the data folder and reused on
 * the next start, so a restart keeps its topics and records. Internal topics are replicated as the
 * cluster allows: factor 1 alone, 3 with {@code min.insync.replicas} 2 from three nodes on.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final String CONTROLLER = "CONTROLLER";
  static final String HOST = "127.0.0.1";

  /**
   * One node: its id, its broker and controller ports, the controller quorum ({@code 1@host:port,...}),
   * how many nodes the cluster has, the cluster's id (used when its storage is formatted) and its folder.
   */
  public record NodeSpec(int nodeId, int port, int controllerPort, String voters, int clusterSize, String clusterId,
      Path dataDir) {}

  /**
   * Clients must come over SASL_SSL with SCRAM-SHA-512: the broker's TLS key in a PKCS12 keystore,
   * and one SCRAM user created at start. The brokers talk among themselves, and the test set-up
   * creates the user, over a plaintext loopback listener ({@link #internalBootstrap()}).
   */
  public record Security(Path keystore, String keystorePassword, String user, String password) {}

  private final NodeSpec spec;
  private Security security;
  private int internalPort;
  private final Path dataDir;
  private final String host;
  private final int port;
  private KafkaRaftServer server;

  private EmbeddedKafka(final NodeSpec spec) {
    this.spec = spec;
    this.dataDir = spec.dataDir().toAbsolutePath();
    this.host = HOST;
    this.port = spec.port();
  }

  /** A broker on the given port (0 picks a free one); the controller takes another free port. */
  public static EmbeddedKafka start(final Path dataDir, final int port) {
    final int controllerPort = freePort();
    return startNode(new NodeSpec(1, port == 0 ? freePort() : port, controllerPort, "1@" + HOST + ":" + controllerPort,
        1, Uuid.randomUuid().toString(), dataDir));
  }

  /** A single node whose clients must use SASL_SSL (SCRAM-SHA-512 over TLS). */
  public static EmbeddedKafka startSecured(final Path dataDir, final Security security) {
    final int controllerPort = freePort();
    final EmbeddedKafka kafka = new EmbeddedKafka(new NodeSpec(1, freePort(), controllerPort,
        "1@" + HOST + ":" + controllerPort, 1, Uuid.randomUuid().toString(), dataDir));
    kafka.security = security;
    kafka.internalPort = freePort();
    kafka.startServer();
    kafka.createScramUser();
    return kafka;
  }

  /** The plaintext listener of a secured node (loopback; for set-up, not for oomwatch). */
  public String internalBootstrap() {
    return host + ":" + internalPort;
  }

  private void createScramUser() {
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(Map.of(
        org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, internalBootstrap()))) {
      admin.alterUserScramCredentials(List.of(new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(
          security.user(), new org.apache.kafka.clients.admin.ScramCredentialInfo(
              org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_512, 8192), security.password())))
          .all().get(30, java.util.concurrent.TimeUnit.SECONDS);
      LOG.info("SCRAM-SHA-512 user {} created", security.user());
    } catch (Exception e) {
      throw new IllegalStateException("cannot create the SCRAM user: " + e.getMessage(), e);
    }
  }

  /** One node of a cluster (or a cluster of one). */
  public static EmbeddedKafka startNode(final NodeSpec spec) {
    final EmbeddedKafka kafka = new EmbeddedKafka(spec);
    kafka.startServer();
    return kafka;
  }

  /**
   * A node in a process of its own, so that a test can SIGKILL it ({@link KafkaCluster} starts these):
   * {@code --node-id N --port P --controller-port C --voters V --cluster-size S --cluster-id ID --data DIR}.
   *
   * <p>Its launcher stops it by closing its standard input, and its end closes that too, however it
   * ends. A signal to the whole process group (Ctrl-C in a terminal, a service manager's stop) reaches
   * the nodes with their launcher; stopping on it at once would take the brokers from under the
   * launcher's clients while they commit, so the node stops only once the launcher lets it go, or
   * after {@link #RELEASE_WAIT} when it never does (a node signalled alone waits that long too).
   */
  public static void main(final String[] args) throws InterruptedException {
    final Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i], args[i + 1]);
    }
    final EmbeddedKafka node = startNode(new NodeSpec(Integer.parseInt(a.get("--node-id")),
        Integer.parseInt(a.get("--port")), Integer.parseInt(a.get("--controller-port")), a.get("--voters"),
        Integer.parseInt(a.get("--cluster-size")), a.get("--cluster-id"), Path.of(a.get("--data"))));
    final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
    final Thread launcher = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // the launcher writes nothing: only the end of the stream means anything
        }
      } catch (IOException e) {
        // a broken pipe is the launcher gone too
      }
      released.countDown();
    }, "kafka-node-launcher");
    launcher.setDaemon(true);
    launcher.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        if (released.await(RELEASE_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
          LOG.info("Kafka node {} released by its launcher; stopping", a.get("--node-id"));
        } else {
          LOG.warn("Kafka node {}: stopped by a signal and not released by its launcher within {} s; stopping",
              a.get("--node-id"), RELEASE_WAIT.toSeconds());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      node.close();
    }, "kafka-node-shutdown"));
    released.await();
    System.exit(0); // the hook says so and stops the node (blocks here when a signal began the exit)
  }

  /** How long a node signalled to stop waits for its launcher before it stops anyway. */
  static final java.time.Duration RELEASE_WAIT = java.time.Duration.ofSeconds(60);

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
    LOG.info("Kafka broker (KRaft, node {} of {}) up at {}, data in {}", spec.nodeId(), spec.clusterSize(),
        bootstrapServers(), dataDir);
  }

  private Map<String, Object> serverProperties(final Path logDir) {
    final Map<String, Object> props = new HashMap<>();
    props.put("process.roles", "broker,controller");
    props.put("node.id", String.valueOf(spec.nodeId()));
    props.put("listeners", "PLAINTEXT://" + host + ":" + port + "," + CONTROLLER + "://" + host + ":" + spec.controllerPort());
    props.put("advertised.listeners", "PLAINTEXT://" + host + ":" + port);
    props.put("controller.listener.names", CONTROLLER);
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    if (security != null) {
      props.put("listeners", "SASL_SSL://" + host + ":" + port + ",PLAINTEXT://" + host + ":" + internalPort + ","
          + CONTROLLER + "://" + host + ":" + spec.controllerPort());
      props.put("advertised.listeners", "SASL_SSL://" + host + ":" + port + ",PLAINTEXT://" + host + ":" + internalPort);
      props.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
      props.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
      props.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required;");
      props.put("ssl.keystore.location", security.keystore().toString());
      props.put("ssl.keystore.password", security.keystorePassword());
      props.put("ssl.keystore.type", "PKCS12");
    }
    props.put("controller.quorum.voters", spec.voters());
    props.put("log.dirs", logDir.toString());
    // Alone, every internal topic has one replica; from three nodes on, three, and a write needs two.
    final String replicas = String.valueOf(Math.min(3, spec.clusterSize()));
    final String minIsr = spec.clusterSize() >= 3 ? "2" : "1";
    props.put("offsets.topic.replication.factor", replicas);
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", replicas);
    props.put("transaction.state.log.min.isr", minIsr);
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", replicas);
    props.put("share.coordinator.state.topic.min.isr", minIsr);
    props.put("default.replication.factor", replicas);
    props.put("min.insync.replicas", minIsr);
    // Local runs and tests want consumers to start at once, not after the 3 s rebalance delay.
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("auto.create.topics.enable", "false");
    props.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
    props.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
    // The streams-app's short-lived changelogs (the full-resolution timeline keeps 15 minutes) are
    // cut by time; the default 5-minute check would let a local run hold a third more than they keep.
    props.put("log.retention.check.interval.ms", "60000");
    return props;
  }

  private void format(final Path logDir) {
    final String clusterId = spec.clusterId();
    try {
      new Formatter()
          .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
          .setNodeId(spec.nodeId())
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
