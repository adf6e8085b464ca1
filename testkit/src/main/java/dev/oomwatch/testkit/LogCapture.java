package dev.oomwatch.testkit;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * What this JVM writes to standard error while open, kept for a test to read and still written
 * through: the collector's slf4j-simple writes each line to whatever {@code System.err} is then.
 */
public final class LogCapture implements AutoCloseable {
  private final PrintStream original = System.err;
  private final ByteArrayOutputStream kept = new ByteArrayOutputStream();

  private LogCapture() {}

  public static LogCapture start() {
    final LogCapture capture = new LogCapture();
    System.setErr(new PrintStream(new OutputStream() {
      @Override
      public void write(final int b) {
        capture.original.write(b);
        synchronized (capture.kept) {
          capture.kept.write(b);
        }
      }

      @Override
      public void write(final byte[] b, final int off, final int len) {
        capture.original.write(b, off, len);
        synchronized (capture.kept) {
          capture.kept.write(b, off, len);
        }
      }
    }, true));
    return capture;
  }

  public String text() {
    synchronized (kept) {
      return kept.toString(StandardCharsets.UTF_8);
    }
  }

  /** How many times {@code phrase} was written. */
  public int count(final String phrase) {
    final String all = text();
    int n = 0;
    for (int at = all.indexOf(phrase); at >= 0; at = all.indexOf(phrase, at + 1)) {
      n++;
    }
    return n;
  }

  @Override
  public void close() {
    System.setErr(original);
  }
}
