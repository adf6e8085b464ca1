package dev.oomwatch.testkit;

import dev.oomwatch.broker.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.kafka.KafkaContainer;

/**
 * One fixture, two back ends: Testcontainers ({@code apache/kafka}, {@code redis}) where a Docker
 * engine answers, else the in-process KRaft broker and a local redis-server. Choose with
 * {@code -Doomwatch.test.backend=containers|local}; the default, auto, asks Docker.
 */
public final class TestBackends {
  public static final String PROPERTY = "oomwatch.test.backend";

  private TestBackends() {}

  public static boolean useContainers() {
    final String choice = System.getProperty(PROPERTY, "auto");
    return switch (choice) {
      case "containers" -> true;
      case "local" -> false;
      default -> dockerAvailable();
    };
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  public static KafkaBackend kafka(final Path dataDir) {
    return useContainers() ? new ContainerKafka() : new InProcessKafka(dataDir);
  }

  public static RedisBackend redis(final Path dir, final String... args) {
    return useContainers() ? new ContainerRedis(args) : new ProcessRedis(dir, LocalRedis.binary(), args);
  }

  /** A local redis-server of the given build, whatever the back end (versions are what it tests). */
  public static RedisBackend redis(final Path dir, final RedisBinaries.Binary binary, final String... args) {
    return new ProcessRedis(dir, binary.path(), args);
  }

  static final class InProcessKafka implements KafkaBackend {
    private final Path dataDir;
    private EmbeddedKafka kafka;

    InProcessKafka(final Path dataDir) {
      this.dataDir = dataDir;
      this.kafka = EmbeddedKafka.start(dataDir, 0);
    }

    @Override
    public String bootstrapServers() {
      return kafka.bootstrapServers();
    }

    @Override
    public void outage(final Duration length) {
      final int port = kafka.port();
      kafka.close();
      LocalRedis.sleep(length.toMillis());
      kafka = EmbeddedKafka.start(dataDir, port);
    }

    @Override
    public String describe() {
      return "in-process KRaft broker at " + bootstrapServers();
    }

    @Override
    public void close() {
      kafka.close();
    }
  }

  static final class ContainerKafka implements KafkaBackend {
    private final KafkaContainer container = new KafkaContainer("apache/kafka:4.1.1");

    ContainerKafka() {
      container.start();
    }

    @Override
    public String bootstrapServers() {
      return container.getBootstrapServers();
    }

    @Override
    public void outage(final Duration length) {
      // Pausing keeps the mapped port and the data, as a broker that went away and came back.
      final var docker = DockerClientFactory.instance().client();
      docker.pauseContainerCmd(container.getContainerId()).exec();
      LocalRedis.sleep(length.toMillis());
      docker.unpauseContainerCmd(container.getContainerId()).exec();
    }

    @Override
    public String describe() {
      return "apache/kafka container at " + bootstrapServers();
    }

    @Override
    public void close() {
      container.stop();
    }
  }

  static final class ProcessRedis implements RedisBackend {
    private final LocalRedis redis;

    ProcessRedis(final Path dir, final String binary, final String... args) {
      this.redis = LocalRedis.startWith(binary, dir, null, args);
    }

    @Override
    public String uri() {
      return redis.uri();
    }

    @Override
    public void stop() {
      redis.stop();
    }

    @Override
    public void start() {
      redis.start();
    }

    @Override
    public String describe() {
      return "local redis-server at " + uri();
    }

    @Override
    public void close() {
      redis.close();
    }
  }

  static final class ContainerRedis implements RedisBackend {
    private final GenericContainer<?> container;

    ContainerRedis(final String... args) {
      final String[] command = new String[args.length + 1];
      command[0] = "redis-server";
      System.arraycopy(args, 0, command, 1, args.length);
      container = new GenericContainer<>("redis:7.2").withExposedPorts(6379).withCommand(command);
      container.start();
    }

    @Override
    public String uri() {
      return "redis://" + container.getHost() + ":" + container.getMappedPort(6379);
    }

    @Override
    public void stop() {
      DockerClientFactory.instance().client().pauseContainerCmd(container.getContainerId()).exec();
    }

    @Override
    public void start() {
      DockerClientFactory.instance().client().unpauseContainerCmd(container.getContainerId()).exec();
    }

    @Override
    public String describe() {
      return "redis container at " + uri();
    }

    @Override
    public void close() {
      container.stop();
    }
  }
}
