package dev.oomwatch.collector;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Reads fixtures under src/test/resources/fixtures. */
public final class Fixtures {
  private Fixtures() {}

  /** The fixture's text, or null when there is no such file (a file the kernel would not have). */
  public static String textOrNull(final String path) {
    return Fixtures.class.getResource("/fixtures/" + path) == null ? null : text(path);
  }

  public static String text(final String path) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + path)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
