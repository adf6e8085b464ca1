package dev.oomwatch.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka cluster of several KRaft nodes, each in a JVM of its own (so a node can be SIGKILLed,
 * as a crashing broker is), on loopback ports, data under one folder. Internal topics are
 * replicated three times with {@code min.insync.replicas} 2 from three nodes on (see
 * {@link EmbeddedKafka}). The nodes' output goes to {@code node-N/output.log}.
 */
public final class KafkaCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaCluster.class);

  private final Path dataDir;
  private final List<EmbeddedKafka.NodeSpec> specs;
  private final Process[] processes;

  private KafkaCluster(final Path dataDir, final List<EmbeddedKafka.NodeSpec> specs) {
    this.dataDir = dataDir;
    this.specs = specs;
    this.processes = new Process[specs.size()];
  }

  /**
   * Starts {@code nodes} nodes, the first broker on {@code firstPort} (0: free ports), and waits
   * until every broker is in the cluster. A folder that held this cluster before keeps its id and data.
   */
  public static KafkaCluster start(final Path dataDir, final int nodes, final int firstPort) {
    try {
      Files.createDirectories(dataDir);
      final Path idFile = dataDir.resolve("cluster-id");
      if (!Files.exists(idFile)) {
        Files.writeString(idFile, Uuid.randomUuid().toString());
      }
      final String clusterId = Files.readString(idFile).trim();
      final int[] ports = new int[nodes];
      final int[] controllerPorts = new int[nodes];
      final StringBuilder voters = new StringBuilder();
      for (int i = 0; i < nodes; i++) {
        ports[i] = firstPort == 0 ? EmbeddedKafka.freePort() : firstPort + i;
        controllerPorts[i] = EmbeddedKafka.freePort();
        voters.append(i == 0 ? "" : ",").append(i + 1).append('@').append(EmbeddedKafka.HOST).append(':')
            .append(controllerPorts[i]);
      }
      final List<EmbeddedKafka.NodeSpec> specs = new ArrayList<>();
      for (int i = 0; i < nodes; i++) {
        specs.add(new EmbeddedKafka.NodeSpec(i + 1, ports[i], controllerPorts[i], voters.toString(), nodes, clusterId,
            dataDir.resolve("node-" + (i + 1)).toAbsolutePath()));
      }
      final KafkaCluster cluster = new KafkaCluster(dataDir, specs);
      for (int i = 1; i <= nodes; i++) {
        cluster.startNode(i);
      }
      cluster.awaitBrokers(nodes, Duration.ofSeconds(90));
      LOG.info("Kafka cluster of {} nodes up at {}", nodes, cluster.bootstrapServers());
      return cluster;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a Kafka cluster in " + dataDir, e);
    }
  }

  /** Every broker's address, comma-separated. */
  public String bootstrapServers() {
    final StringBuilder b = new StringBuilder();
    for (final EmbeddedKafka.NodeSpec s : specs) {
      b.append(b.length() == 0 ? "" : ",").append(EmbeddedKafka.HOST).append(':').append(s.port());
    }
    return b.toString();
  }

  public int size() {
    return specs.size();
  }

  /** Starts node {@code id} (1-based) in its own JVM, on its ports and data. */
  public synchronized void startNode(final int id) {
    final EmbeddedKafka.NodeSpec s = specs.get(id - 1);
    final String java = ProcessHandle.current().info().command().orElse("java");
    final List<String> command = new ArrayList<>(List.of(java, "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"), EmbeddedKafka.class.getName(),
        "--node-id", String.valueOf(s.nodeId()), "--port", String.valueOf(s.port()),
        "--controller-port", String.valueOf(s.controllerPort()), "--voters", s.voters(),
        "--cluster-size", String.valueOf(s.clusterSize()), "--cluster-id", s.clusterId(),
        "--data", s.dataDir().toString()));
    try {
      Files.createDirectories(s.dataDir());
      processes[id - 1] = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(s.dataDir().resolve("output.log").toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start Kafka node " + id, e);
    }
  }

  /** SIGKILL: the node dies at once, as in a crash; nothing is flushed or handed over. */
  public synchronized void kill(final int id) throws InterruptedException {
    final Process p = processes[id - 1];
    if (p != null) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
      processes[id - 1] = null;
      LOG.info("Kafka node {} killed (SIGKILL)", id);
    }
  }

  public synchronized boolean isRunning(final int id) {
    return processes[id - 1] != null && processes[id - 1].isAlive();
  }

  /** Waits until {@code count} brokers are registered and answering. */
  public void awaitBrokers(final int count, final Duration timeout) {
    final long deadline = System.currentTimeMillis() + timeout.toMillis();
    String last = "no answer";
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000))) {
      while (System.currentTimeMillis() < deadline) {
        try {
          final int n = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size();
          if (n >= count) {
            return;
          }
          last = n + " brokers";
        } catch (Exception e) {
          last = e.toString();
        }
        for (int i = 0; i < processes.length; i++) {
          if (processes[i] != null && !processes[i].isAlive()) {
            throw new IllegalStateException("Kafka node " + (i + 1) + " exited; see "
                + specs.get(i).dataDir().resolve("output.log"));
          }
        }
        Thread.sleep(200);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw new IllegalStateException("the Kafka cluster in " + dataDir + " has not " + count + " brokers after "
        + timeout.toSeconds() + " s (" + last + ")");
  }

  /**
   * Stops every node cleanly: all are released at once (their standard input closed: see
   * {@link EmbeddedKafka#main}) and waited for; one that has not stopped in 30 s is killed. At once,
   * because the last node standing cannot hand over its quorum role: stopped one after the other
   * the last took 30 s and was killed, together they are gone within the quorum's 5 s shutdown timeout.
   */
  @Override
  public synchronized void close() {
    LOG.info("stopping the Kafka cluster of {} nodes", processes.length);
    for (int i = 0; i < processes.length; i++) {
      if (processes[i] != null) {
        try {
          processes[i].getOutputStream().close();
        } catch (IOException e) {
          LOG.warn("cannot release Kafka node {} ({}); it is killed after 30 s", i + 1, e.toString());
        }
      }
    }
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (int i = 0; i < processes.length; i++) {
      final Process p = processes[i];
      if (p == null) {
        continue;
      }
      try {
        if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          LOG.warn("Kafka node {} did not stop within 30 s of its release; killed", i + 1);
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
      processes[i] = null;
    }
    LOG.info("Kafka cluster stopped");
  }
}
