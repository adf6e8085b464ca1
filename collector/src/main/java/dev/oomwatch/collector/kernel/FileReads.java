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

  public void note(final String what, final String why) {
    errors.put(what, why);
  }

  public Map<String, String> errors() {
    return errors;
  }
}
