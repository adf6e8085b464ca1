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

  @Option(names = "--url", paramLabel = "URL", required = true,
      description = "An Alertmanager, e.g. http://alertmanager:9093. Repeatable: every member of an HA cluster.")
  List<String> urls = new ArrayList<>();

  @Option(names = "--page-url", paramLabel = "URL",
      description = "The timeline page each alert links to (alertmanager.page.url; default http://127.0.0.1:7411/).")
  String pageUrl;

  @Override
  public Integer call() throws InterruptedException {
    final Map<String, String> flags = new LinkedHashMap<>();
    flags.put(AlertmanagerConfig.URLS, String.join(",", urls));
    if (pageUrl != null) {
      flags.put(AlertmanagerConfig.PAGE_URL, pageUrl);
    }
    final AlertmanagerBridge bridge = AlertmanagerBridge.start(AlertmanagerConfig.from(config.load(flags)));
    final CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      bridge.close();
      stop.countDown();
    }, "alertmanager-shutdown"));
    stop.await();
    return 0;
  }
}
