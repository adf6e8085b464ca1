package dev.oomwatch.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.streams.TwoAppCluster;
import java.io.File;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The timeline page in Debian's headless Chromium, on a real streams-app that saw a BGSAVE fork
 * end in a kernel OOM kill: the chart is drawn, the fork is shaded, the kill and the alerts are
 * marked where they happened. A screenshot is left in target/ for people to look at.
 */
class TimelinePageIT {
  @TempDir static Path dir;

  @Test
  void showsTheForkTheKillAndTheAlertsOnTheInstancesTimeline() throws Exception {
    try (TwoAppCluster cluster = new TwoAppCluster(dir)) {
      final ChromeDriver browser = chromium(dir.resolve("chromium-profile"));
      try {
        final long from = cluster.killAtMs - 70_000;
        final long to = cluster.killAtMs + 30_000;
        final String page = cluster.url(cluster.a) + "#token=" + TwoAppCluster.TOKEN + "&i="
            + URLEncoder.encode(cluster.killedHost + "|" + cluster.killedInstance, StandardCharsets.UTF_8)
            + "&from=" + from + "&to=" + to;
        browser.get(page);
        // the page polls; it is ready when a chart with the kill on it has been drawn
        new WebDriverWait(browser, Duration.ofSeconds(180)).pollingEvery(Duration.ofMillis(250)).until(d -> {
          d.navigate().refresh();
          new WebDriverWait(d, Duration.ofSeconds(10)).until(x -> "ready".equals(
              x.findElement(By.tagName("body")).getAttribute("data-state")) || hasError(x));
          // every host processed (the page lists them all) and the kill on the chart
          return "1".equals(d.findElement(By.id("chart")).getAttribute("data-kills"))
              && d.findElements(By.cssSelector("#instances tbody tr")).size() == cluster.hosts.size();
        });

        final WebElement chart = browser.findElement(By.id("chart"));
        assertThat(Integer.parseInt(chart.getAttribute("data-points"))).isGreaterThan(60);
        assertThat(Integer.parseInt(chart.getAttribute("data-fork-windows"))).isGreaterThanOrEqualTo(1);
        assertThat(Integer.parseInt(chart.getAttribute("data-alerts"))).isGreaterThanOrEqualTo(4);
        assertThat(browser.findElements(By.cssSelector("#instances tbody tr"))).hasSize(cluster.hosts.size());
        assertThat(browser.findElements(By.cssSelector("#incidents li"))).hasSize(1);
        // the incident says why, in Redis's terms
        assertThat(browser.findElement(By.cssSelector("#incidents li .why")).getText()).startsWith("Why: ")
            .contains("the kernel counted");

        final WebElement over = browser.findElement(By.cssSelector("#chart .u-over"));
        final List<WebElement> kills = over.findElements(By.cssSelector(".marker.kill"));
        assertThat(kills).hasSize(1);
        final int killLeft = kills.get(0).getRect().getX() - over.getRect().getX();
        assertThat(killLeft).as("the kill is drawn inside the plot").isBetween(1, over.getRect().getWidth() - 1);
        assertThat(over.findElements(By.cssSelector(".marker.alert"))).hasSizeGreaterThanOrEqualTo(4);

        final JavascriptExecutor js = browser;
        @SuppressWarnings("unchecked")
        final Map<String, Object> drawn = (Map<String, Object>) js.executeScript(
            "const u = window.oomwatch.chart, ctx = u.ctx, [a, b] = window.oomwatch.forks[0];"
            + "const all = ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height).data;"
            + "let red = 0; for (let i = 0; i < all.length; i += 4) {"
            + "  if (all[i + 3] > 200 && all[i] > 200 && all[i + 1] < 90 && all[i + 2] < 90) red++; }"
            + "const x = Math.round((u.valToPos(a, 'x', true) + u.valToPos(b, 'x', true)) / 2);"
            + "const shade = ctx.getImageData(x, Math.round(u.bbox.top + 3), 1, 1).data;"
            + "return {red: red, shadeR: shade[0], shadeG: shade[1], shadeB: shade[2], shadeA: shade[3],"
            + "  killX: u.valToPos(" + cluster.killAtMs + " / 1000, 'x')};");
        assertThat(((Number) drawn.get("red")).intValue()).as("the physical-memory line is drawn").isGreaterThan(100);
        assertThat(((Number) drawn.get("shadeA")).intValue()).as("the fork window is shaded").isGreaterThan(0);
        assertThat(((Number) drawn.get("shadeR")).intValue()).isGreaterThan(((Number) drawn.get("shadeB")).intValue());
        assertThat((double) killLeft).as("the kill marker sits at the kill's time")
            .isCloseTo(((Number) drawn.get("killX")).doubleValue(), org.assertj.core.data.Offset.offset(2.0));

        final File shot = browser.getScreenshotAs(OutputType.FILE);
        final Path target = Path.of("target", "timeline-page.png");
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("timeline page screenshot: " + target.toAbsolutePath());

        // at 1400 px the instances table stays inside its column, no column hidden behind a scrollbar
        assertThat((Boolean) js.executeScript("const p = document.querySelector('#instances-panel');"
            + "return p.scrollWidth <= p.clientWidth;")).as("the instances table fits its column").isTrue();

        // a Redis started by hand: 7 MB of data against 16 GB of host RAM, in a shared cgroup of 4.7 GB
        browser.get(cluster.url(cluster.a) + "#token=" + TwoAppCluster.TOKEN + "&i="
            + URLEncoder.encode(TwoAppCluster.BY_HAND + "|" + TwoAppCluster.BY_HAND + ":6379", StandardCharsets.UTF_8)
            + "&from=" + from + "&to=" + to);
        new WebDriverWait(browser, Duration.ofSeconds(30)).pollingEvery(Duration.ofMillis(250)).until(d ->
            "ready".equals(d.findElement(By.tagName("body")).getAttribute("data-state"))
                && d.findElement(By.id("timeline-title")).getText().contains(TwoAppCluster.BY_HAND)
                && Integer.parseInt(d.findElement(By.id("chart")).getAttribute("data-points")) >= 20);
        assertThat(browser.findElement(By.id("chart")).getAttribute("data-limit-off-scale")).isEqualTo("true");
        final WebElement note = browser.findElement(By.cssSelector("#chart .u-over .limit-note"));
        assertThat(note.getText()).contains("16.0 GB").contains("host RAM");
        @SuppressWarnings("unchecked")
        final Map<String, Object> small = (Map<String, Object>) js.executeScript(
            "const u = window.oomwatch.chart, ctx = u.ctx;"
            + "const all = ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height).data;"
            + "let blue = 0, high = 0; const w = ctx.canvas.width, mid = u.bbox.top + u.bbox.height * 0.6;"
            + "for (let i = 0; i < all.length; i += 4) {"
            + "  if (all[i + 3] > 200 && all[i] < 80 && all[i + 1] > 110 && all[i + 1] < 160 && all[i + 2] > 200) {"
            + "    blue++; if (Math.floor(i / 4 / w) < mid) high++; } }"
            + "return {yMax: u.scales.y.max, blue: blue, high: high,"
            + "  usage: u.data[4].filter(v => v != null).length};");
        assertThat(((Number) small.get("yMax")).doubleValue()).as("the scale follows the data, not the host's RAM")
            .isLessThan(20.0 * 1024 * 1024);
        assertThat(((Number) small.get("blue")).intValue()).as("the used_memory line is drawn").isGreaterThan(100);
        assertThat(((Number) small.get("high")).intValue()).as("and drawn well above the bottom").isGreaterThan(50);
        assertThat(((Number) small.get("usage")).intValue()).as("the shared cgroup's usage is not drawn as its own")
            .isZero();
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), Path.of("target", "timeline-page-by-hand.png"),
            StandardCopyOption.REPLACE_EXISTING);

        // the killed host's quiet minutes half an hour before the kill: rolled up, drawn, shaded grey
        browser.get(page.replace("&from=" + from, "&from=" + (cluster.killAtMs - TwoAppCluster.HISTORY_AGO_MS - 120_000)));
        new WebDriverWait(browser, Duration.ofSeconds(30)).pollingEvery(Duration.ofMillis(250)).until(d -> {
          d.navigate().refresh();
          new WebDriverWait(d, Duration.ofSeconds(10)).until(x -> "ready".equals(
              x.findElement(By.tagName("body")).getAttribute("data-state")) || hasError(x));
          return Integer.parseInt(d.findElement(By.id("chart")).getAttribute("data-buckets")) > 0;
        });
        final WebElement rolledChart = browser.findElement(By.id("chart"));
        assertThat(Integer.parseInt(rolledChart.getAttribute("data-buckets"))).as("ten minutes in 10 s buckets")
            .isBetween(55, 61);
        assertThat(Integer.parseInt(rolledChart.getAttribute("data-rolled-spans"))).isGreaterThanOrEqualTo(1);
        assertThat(Integer.parseInt(rolledChart.getAttribute("data-points"))).as("the fork and kill still whole")
            .isGreaterThan(60);
        @SuppressWarnings("unchecked")
        final Map<String, Object> grey = (Map<String, Object>) js.executeScript(
            "const u = window.oomwatch.chart, ctx = u.ctx, [a, b] = window.oomwatch.rolled[0];"
            + "const x = Math.round((u.valToPos(a, 'x', true) + u.valToPos(b, 'x', true)) / 2);"
            + "const px = ctx.getImageData(x, Math.round(u.bbox.top + 3), 1, 1).data;"
            + "return {r: px[0], g: px[1], b: px[2], a: px[3], drawn: u.data[1].filter(v => v != null).length};");
        assertThat(((Number) grey.get("a")).intValue()).as("the rolled-up span is shaded").isGreaterThan(0);
        assertThat(((Number) grey.get("b")).intValue()).as("grey-blue, not a fork's orange")
            .isGreaterThanOrEqualTo(((Number) grey.get("r")).intValue());
        assertThat(((Number) grey.get("drawn")).intValue()).as("used_memory drawn for buckets and points")
            .isGreaterThan(100);
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), Path.of("target", "timeline-page-rolled-up.png"),
            StandardCopyOption.REPLACE_EXISTING);
      } finally {
        browser.quit();
      }
    }
  }

  private static boolean hasError(final org.openqa.selenium.WebDriver d) {
    return !d.findElement(By.id("status")).getText().startsWith("updated") && !d.findElement(By.id("status")).getText().isEmpty();
  }

  /** Debian's chromium and chromium-driver, as .ci/run installs them; no browser download. */
  private static ChromeDriver chromium(final Path profile) {
    final ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
    final ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    // the flags that keep Chromium off the (closed) network and working as root in a container
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + profile, "--window-size=1400,1000");
    return new ChromeDriver(service, options);
  }
}
