package dev.oomwatch.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The configuration flags every oomwatch command shares (a picocli mixin): a properties file,
 * single overrides, and the bootstrap servers. Layering is in {@link Settings#load}.
 */
public final class ConfigOptions {
  @Option(names = "--config", paramLabel = "FILE",
      description = "Properties file with oomwatch and kafka.* settings. Environment variables OOMWATCH_<KEY> override it.")
  Path configFile;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override one setting, e.g. --set kafka.security.protocol=SASL_SSL. Repeatable.")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
      description = "Kafka bootstrap servers (setting kafka.bootstrap.servers, default localhost:9092).")
  String bootstrap;

  /** Settings from the file, the environment and these flags; {@code extra} are flags of the command. */
  public Settings load(final Map<String, String> extra) {
    final Map<String, String> flags = new LinkedHashMap<>(extra);
    flags.putAll(overrides);
    if (bootstrap != null) {
      flags.put(KafkaSettings.BOOTSTRAP, bootstrap);
    }
    return Settings.load(configFile, System.getenv(), flags);
  }

  public Settings load() {
    return load(Map.of());
  }
}
