package dev.oomwatch.alertmanager;

import dev.oomwatch.config.ConfigOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "alertmanager", mixinStandardHelpOptions = true,
    header = "Send the alerts to Prometheus Alertmanager, firing and resolved, with nothing lost.",
    description = {"Send every alert to Prometheus Alertmanager's v2 API: labels alertname (the type), severity, host,",
        "instance, pod, namespace; annotations summary, description (the evidence), first_check, fix. Firing",
        "alerts are re-sent until they resolve; a restart rebuilds them from the alert-state topic."})
public final class AlertmanagerCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--url", paramLabel = "URL",
      description = "An Alertmanager, e.g. http://alertmanager:9093. Repeatable: every member of an HA cluster "
          + "(alertmanager.urls, comma-separated).")
  List<String> urls = new ArrayList<>();

  @Option(names = "--page-url", paramLabel = "URL",
      description = "The timeline page each alert links to (alertmanager.page.url; default http://127.0.0.1:7411/).")
  String pageUrl;

  @Override
  public Integer call() throws InterruptedException {
    final Map<String, String> flags = new LinkedHashMap<>();
    if (!urls.isEmpty()) {
      flags.put(AlertmanagerConfig.URLS, String.join(",", urls));
    }
    if (pageUrl != null) {
      flags.put(AlertmanagerConfig.PAGE_URL, pageUrl);
    }
    final AlertmanagerConfig settings = AlertmanagerConfig.from(config.load(flags));
    if (settings.urls().isEmpty()) {
      System.err.println("no Alertmanager to send to: give --url http://alertmanager:9093 (or alertmanager.urls)");
      return 2;
    }
    dev.oomwatch.config.KafkaAccess.verify(settings.kafka(), java.time.Duration.ofSeconds(15));
    final AlertmanagerBridge bridge = AlertmanagerBridge.start(settings);
    final CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      bridge.close();
      stop.countDown();
    }, "alertmanager-shutdown"));
    stop.await();
    return 0;
  }

  /** The bridge alone, as its image runs it. */
  public static void main(final String[] args) {
    System.exit(new picocli.CommandLine(new AlertmanagerCommand()).execute(args));
  }
}
