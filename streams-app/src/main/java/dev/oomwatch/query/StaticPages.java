package dev.oomwatch.query;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * The timeline page: three files of our own and uPlot, vendored by the build from its webjar, so
 * nothing is fetched from the internet when the page opens. No data is in these files; the page
 * reads the API (with the token from the page's address fragment when one is set).
 */
final class StaticPages implements HttpHandler {
  static final String UPLOT_VERSION = "1.6.30";
  private static final String UPLOT = "META-INF/resources/webjars/uplot/" + UPLOT_VERSION + "/dist/";
  private static final Map<String, String> FILES = Map.of(
      "/", "dev/oomwatch/query/web/index.html",
      "/index.html", "dev/oomwatch/query/web/index.html",
      "/app.js", "dev/oomwatch/query/web/app.js",
      "/app.css", "dev/oomwatch/query/web/app.css",
      "/vendor/uPlot.iife.min.js", UPLOT + "uPlot.iife.min.js",
      "/vendor/uPlot.min.css", UPLOT + "uPlot.min.css");

  @Override
  public void handle(final HttpExchange exchange) throws IOException {
    try (exchange) {
      final String resource = FILES.get(exchange.getRequestURI().getPath());
      final InputStream in = resource == null ? null : StaticPages.class.getClassLoader().getResourceAsStream(resource);
      if (in == null) {
        final byte[] body = "not found\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(404, body.length);
        exchange.getResponseBody().write(body);
        return;
      }
      final byte[] body;
      try (in) {
        body = in.readAllBytes();
      }
      exchange.getResponseHeaders().set("Content-Type", contentType(resource));
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static String contentType(final String resource) {
    if (resource.endsWith(".html")) {
      return "text/html; charset=utf-8";
    }
    if (resource.endsWith(".js")) {
      return "text/javascript; charset=utf-8";
    }
    return "text/css; charset=utf-8";
  }
}
