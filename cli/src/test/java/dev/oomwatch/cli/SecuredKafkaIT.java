package dev.oomwatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.oomwatch.archive.ArchiveConfig;
import dev.oomwatch.archive.Archiver;
import dev.oomwatch.broker.EmbeddedKafka;
import dev.oomwatch.collector.Collector;
import dev.oomwatch.collector.CollectorCommand;
import dev.oomwatch.collector.CollectorConfig;
import dev.oomwatch.config.KafkaAccess;
import dev.oomwatch.config.Settings;
import dev.oomwatch.streams.StreamsApp;
import dev.oomwatch.streams.StreamsAppConfig;
import dev.oomwatch.testkit.LocalRedis;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * A broker that takes clients only over SASL_SSL (SCRAM-SHA-512, TLS with a certificate of its
 * own): the collector, the streams-app, the archiver, {@code alerts} and {@code tail} all work with
 * nothing but {@code kafka.*} settings; a wrong password ends a command at once with one clear line
 * and exit code 3; no password is in any log line or output.
 */
class SecuredKafkaIT {
  private static final String USER = "oomwatch";
  private static final String SCRAM_PASSWORD = "scram-Secret-4711";
  private static final String STORE_PASSWORD = "store-Secret-0815";

  @TempDir Path dir;

  @Test
  void everyPartConnectsOverSaslSslAndAWrongPasswordEndsACommandClearly() throws Exception {
    assumeTrue(LocalRedis.available(), "skipped: no redis-server binary");
    final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(logs);
    final Path keystore = dir.resolve("broker.p12");
    final Path ca = dir.resolve("broker.pem");
    keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=127.0.0.1",
        "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-keystore", keystore.toString(), "-storetype", "PKCS12",
        "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
    keytool("-exportcert", "-rfc", "-alias", "broker", "-keystore", keystore.toString(), "-storepass", STORE_PASSWORD,
        "-file", ca.toString());

    try (EmbeddedKafka kafka = EmbeddedKafka.startSecured(dir.resolve("kafka"),
            new EmbeddedKafka.Security(keystore, STORE_PASSWORD, USER, SCRAM_PASSWORD));
        LocalRedis redis = LocalRedis.start(dir.resolve("redis"))) {
      final Map<String, String> secured = new LinkedHashMap<>();
      secured.put("kafka.bootstrap.servers", kafka.bootstrapServers());
      secured.put("kafka.security.protocol", "SASL_SSL");
      secured.put("kafka.sasl.mechanism", "SCRAM-SHA-512");
      secured.put("kafka.sasl.jaas.config", jaas(SCRAM_PASSWORD));
      secured.put("kafka.ssl.truststore.type", "PEM");
      secured.put("kafka.ssl.truststore.location", ca.toString());
      final Path good = properties(dir.resolve("secured.properties"), secured);
      final Map<String, String> wrong = new LinkedHashMap<>(secured);
      wrong.put("kafka.sasl.jaas.config", jaas("not-" + SCRAM_PASSWORD));
      final Path bad = properties(dir.resolve("wrong.properties"), wrong);

      final Map<String, String> all = new LinkedHashMap<>(secured);
      all.put("topic.partitions", "1");
      all.put("host.id", "secured-host");
      all.put("redis.uris", redis.uri() + "#secured");
      all.put("streams.state.dir", dir.resolve("streams").toString());
      all.put("archive.dir", dir.resolve("archive").toString());
      all.put("archive.roll.interval", "2s");
      all.put("http.port", "0");
      all.put("metrics.enabled", "false");
      final Settings settings = Settings.of(all);
      try (StreamsApp streams = StreamsApp.start(StreamsAppConfig.from(settings));
          Collector collector = Collector.start(CollectorConfig.from(settings));
          Archiver archiver = Archiver.start(ArchiveConfig.from(settings))) {
        // maxmemory is unset: MAXMEMORY_MISSIZED fires within seconds of the first sample
        final String alerts = await(() -> {
          final Run run = run("alerts", "--config", good.toString(), "--from-beginning", "--timeout", "3s");
          return run.out().contains("MAXMEMORY_MISSIZED") ? run.out() : null;
        });
        assertThat(alerts).contains("secured");
        final Run tail = run("tail", "redis-samples", "--config", good.toString(), "--from-beginning", "--max", "1",
            "--timeout", "10s");
        assertThat(tail.code()).isZero();
        assertThat(tail.out()).contains("\"instance\":\"secured\"");
        await(() -> {
          try (Stream<Path> files = Files.walk(dir.resolve("archive"))) {
            return files.anyMatch(f -> f.toString().endsWith(".parquet") && f.toString().contains("redis_samples"))
                ? true : null;
          }
        });
        assertThat(collector.metrics().published.get()).isPositive();
      }

      final long t0 = System.currentTimeMillis();
      final Run refused = run("alerts", "--config", bad.toString(), "--timeout", "3s");
      final long tookMs = System.currentTimeMillis() - t0;
      assertThat(refused.code()).isEqualTo(KafkaAccess.EXIT_REFUSED);
      assertThat(refused.err()).contains("Kafka refused oomwatch's credentials").contains("kafka.sasl.jaas.config");
      assertThat(tookMs).as("a refusal, not a hang").isLessThan(60_000);
      final int collectorCode = new CommandLine(new CollectorCommand())
          .execute("--config", bad.toString(), "--set", "redis.uris=" + redis.uri(), "--set", "metrics.enabled=false");
      assertThat(collectorCode).isEqualTo(KafkaAccess.EXIT_REFUSED);
      System.out.printf("secured: a wrong password ended `alerts` in %d ms with exit code %d%n", tookMs, refused.code());
    } finally {
      root.detachAppender(logs);
    }
    for (final ILoggingEvent e : logs.list) {
      assertThat(e.getFormattedMessage()).doesNotContain(SCRAM_PASSWORD).doesNotContain(STORE_PASSWORD);
    }
    assertThat(logs.list).isNotEmpty();
  }

  private record Run(int code, String out, String err) {}

  private static Run run(final String... args) {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final PrintStream stdout = System.out;
    final PrintStream stderr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    final CommandLine cli = Oomwatch.commandLine();
    cli.setErr(new java.io.PrintWriter(System.err, true));
    try {
      final int code = cli.execute(args);
      final Run run = new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
      assertThat(run.out() + run.err()).doesNotContain(SCRAM_PASSWORD).doesNotContain(STORE_PASSWORD);
      return run;
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
  }

  private static String jaas(final String password) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + USER
        + "\" password=\"" + password + "\";";
  }

  private static Path properties(final Path file, final Map<String, String> values) throws Exception {
    final Properties p = new Properties();
    p.putAll(values);
    try (var out = Files.newOutputStream(file)) {
      p.store(out, null);
    }
    return file;
  }

  private static void keytool(final String... args) throws Exception {
    final String[] command = new String[args.length + 1];
    command[0] = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    System.arraycopy(args, 0, command, 1, args.length);
    final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("keytool: %s", output).isZero();
  }

  private interface Probe<T> {
    T get() throws Exception;
  }

  private static <T> T await(final Probe<T> probe) throws Exception {
    final long deadline = System.currentTimeMillis() + 90_000;
    while (System.currentTimeMillis() < deadline) {
      final T value = probe.get();
      if (value != null) {
        return value;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("not within 90 s");
  }
}
