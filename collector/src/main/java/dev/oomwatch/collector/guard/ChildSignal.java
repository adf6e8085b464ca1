package dev.oomwatch.collector.guard;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Ends a fork child with SIGUSR1, which Redis (and Valkey) take for an aborted save or rewrite, not
 * a failed one: {@code rdb_last_bgsave_status} stays ok, so no {@code -MISCONF}. Only after the
 * kernel's own /proc says the process is still the child it was (its parent the server, its start
 * time the one seen at the decision), so a pid reused in between is never signalled. The JDK sends
 * no signal but SIGTERM and SIGKILL, so it is sent by the shell's {@code kill}.
 */
final class ChildSignal {
  /** What /proc/PID/stat says of a process: its state, parent and start time (clock ticks since boot). */
  record Stat(char state, long ppid, long startTime) {}

  private final Path proc;

  ChildSignal(final Path proc) {
    this.proc = proc;
  }

  /** Null when the process is gone or its stat cannot be read. */
  Stat stat(final long pid) {
    try {
      return parse(new String(Files.readAllBytes(proc.resolve(pid + "/stat")), StandardCharsets.US_ASCII));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The fields after the command's closing parenthesis, which the process names itself and may fill with anything. */
  static Stat parse(final String stat) {
    final int close = stat.lastIndexOf(')');
    if (close < 0) {
      throw new IllegalArgumentException("no ')' in a stat line");
    }
    final String[] f = stat.substring(close + 2).trim().split(" ");
    // after the comm: state(3) ppid(4) ... starttime(22), so index 0 is field 3
    return new Stat(f[0].charAt(0), Long.parseLong(f[1]), Long.parseLong(f[19]));
  }

  /** Whether {@code pid} is, by the kernel, the child of {@code serverPid} that started at {@code startTime}. */
  boolean isChild(final long pid, final long serverPid, final long startTime) {
    final Stat s = stat(pid);
    return s != null && s.ppid() == serverPid && s.startTime() == startTime && s.state() != 'Z' && s.state() != 'X';
  }

  /** Sends SIGUSR1; false when kill refused (the process gone, or no permission: CAP_KILL). */
  boolean usr1(final long pid) {
    try {
      final Process p = new ProcessBuilder("/bin/sh", "-c", "kill -USR1 \"$1\"", "oomwatch-guard", String.valueOf(pid))
          .redirectErrorStream(true).start();
      p.getOutputStream().close();
      final String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(said.isEmpty() ? "kill exited " + p.exitValue() : said);
      }
      return true;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run /bin/sh: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Waits up to {@code timeoutMs} for the child to exit (gone, a zombie, or another process at its pid); when it did. */
  Long awaitExit(final long pid, final long serverPid, final long startTime, final long timeoutMs) {
    final long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      if (!isChild(pid, serverPid, startTime)) {
        return System.currentTimeMillis();
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return null;
  }
}
