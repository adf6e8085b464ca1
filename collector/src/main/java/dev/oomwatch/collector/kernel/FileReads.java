package dev.oomwatch.collector.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads small kernel files for one sample and remembers why any could not be read. A missing file
 * is often normal (no PSI, no smaps_rollup on old kernels, a process that just exited) and is
 * only noted; the sample goes on with the field null.
 */
public final class FileReads {
  private static final int MAX_BYTES = 256 * 1024;
  private final Map<String, String> errors = new TreeMap<>();

  /** The file's text, or null (with the reason noted) when it cannot be read. */
  public String read(final Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      final byte[] bytes = in.readNBytes(MAX_BYTES);
      return new String(bytes, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      errors.put(file.toString(), "missing");
      return null;
    } catch (IOException | SecurityException e) {
      errors.put(file.toString(), e.getClass().getSimpleName() + ": " + e.getMessage());
      return null;
    }
  }

  /** Like {@link #read} but a missing file is expected and not noted (optional kernel features). */
  public String readOptional(final Path file) {
    if (!Files.exists(file)) {
      return null;
    }
    return read(file);
  }

  /**
   * At most {@code maxBytes} of a file, or null when it cannot be read: for /proc files whose
   * length a process chooses (its title, its environment), read where no reason is kept.
   */
  public static String quiet(final Path file, final int maxBytes) {
    try (InputStream in = Files.newInputStream(file)) {
      return new String(in.readNBytes(maxBytes), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** {@link #quiet(Path, int)} at the cap of every sample's reads. */
  public static String quiet(final Path file) {
    return quiet(file, MAX_BYTES);
  }

  /**
   * The lines of a file that {@code keep} accepts, streamed: a namespace's {@code net/tcp} with
   * 100,000 sockets costs its listening lines in memory, not its 15 MB.
   */
  public static String lines(final Path file, final java.util.function.Predicate<String> keep) {
    try (java.io.BufferedReader in = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
      final StringBuilder out = new StringBuilder();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (keep.test(line)) {
          out.append(line).append('\n');
        }
      }
      return out.toString();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  public void note(final String what, final String why) {
    errors.put(what, why);
  }

  public Map<String, String> errors() {
    return errors;
  }
}
