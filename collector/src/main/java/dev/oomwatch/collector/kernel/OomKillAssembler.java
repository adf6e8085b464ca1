package dev.oomwatch.collector.kernel;

import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.KernelEventKind;
import dev.oomwatch.schema.KernelEventSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Joins the kernel log lines of one OOM kill into one {@link KernelEvent}, for kernels 4.x to 6.x.
 * The kernel prints a kill's report under its OOM lock, so its lines arrive in order, possibly
 * interleaved with other subsystems' lines, which are ignored. The event is complete, and emitted
 * at once, on the {@code Killed process} line; the later {@code oom_reaper} line adds nothing
 * that decides anything.
 */
public final class OomKillAssembler {
  private static final int MAX_RAW_LINES = 16;

  private static final Pattern INVOKED = Pattern.compile(
      "^(?<comm>.+?) invoked oom-killer: .*?oom_score_adj=(?<adj>-?\\d+)");
  private static final Pattern CPU_LINE = Pattern.compile("^CPU: \\d+ .*?PID: (?<pid>\\d+) Comm: (?<comm>\\S+)");
  private static final Pattern MEMCG_USAGE = Pattern.compile(
      "^memory: usage (?<usage>\\d+)kB, limit (?<limit>\\d+)kB");
  private static final Pattern TASK_IN = Pattern.compile(
      "^Task in (?<task>\\S+) killed as a result of limit of (?<oom>\\S+)");
  private static final Pattern SUMMARY = Pattern.compile("^oom-kill:(?<fields>.*)$");
  private static final Pattern KILLED = Pattern.compile(
      "Killed process (?<pid>\\d+) \\((?<comm>[^)]*)\\) total-vm:(?<vm>\\d+)kB, anon-rss:(?<anon>\\d+)kB, "
          + "file-rss:(?<file>\\d+)kB, shmem-rss:(?<shmem>\\d+)kB(?:, UID:(?<uid>\\d+))?(?:.*?oom_score_adj:(?<adj>-?\\d+))?");
  private static final Pattern SACRIFICE = Pattern.compile("Kill process (?<pid>\\d+) \\((?<comm>[^)]*)\\) score");

  private final String host;
  private KernelEvent.Builder pending;
  private final List<String> raw = new ArrayList<>();

  public OomKillAssembler(final String host) {
    this.host = host;
  }

  /**
   * Feeds one record; returns the kill it completes, if any. {@code wallMs} is the record's time
   * as wall clock (converted from its monotonic stamp by the caller).
   */
  public Optional<KernelEvent> accept(final KmsgRecord record, final long wallMs) {
    final String m = record.message();
    Matcher matcher = INVOKED.matcher(m);
    if (matcher.find()) {
      start(wallMs);
      pending.setInvokingComm(matcher.group("comm"));
      keep(m);
      return Optional.empty();
    }
    if (pending != null && (matcher = CPU_LINE.matcher(m)).find() && pending.getInvokingPid() == null) {
      pending.setInvokingPid(Long.parseLong(matcher.group("pid")));
      return Optional.empty();
    }
    if ((matcher = MEMCG_USAGE.matcher(m)).find()) {
      ensure(wallMs);
      pending.setMemcgUsage(Long.parseLong(matcher.group("usage")) * 1024)
          .setMemcgLimit(Long.parseLong(matcher.group("limit")) * 1024);
      keep(m);
      return Optional.empty();
    }
    if ((matcher = TASK_IN.matcher(m)).find()) {
      ensure(wallMs);
      pending.setTaskMemcg(matcher.group("task")).setOomMemcg(matcher.group("oom"))
          .setConstraint("CONSTRAINT_MEMCG");
      keep(m);
      return Optional.empty();
    }
    if ((matcher = SUMMARY.matcher(m)).find()) {
      ensure(wallMs);
      summary(matcher.group("fields"));
      keep(m);
      return Optional.empty();
    }
    if ((matcher = SACRIFICE.matcher(m)).find() && !m.contains("Killed process")) {
      ensure(wallMs);
      pending.setVictimPid(Long.parseLong(matcher.group("pid"))).setVictimComm(matcher.group("comm"));
      if (m.startsWith("Memory cgroup") && pending.getConstraint() == null) {
        pending.setConstraint("CONSTRAINT_MEMCG");
      }
      keep(m);
      return Optional.empty();
    }
    if ((matcher = KILLED.matcher(m)).find()) {
      ensure(wallMs);
      keep(m);
      pending.setTimestampMs(wallMs)
          .setKmsgSequence(record.sequence())
          .setVictimPid(Long.parseLong(matcher.group("pid")))
          .setVictimComm(matcher.group("comm"))
          .setTotalVm(kb(matcher.group("vm")))
          .setAnonRss(kb(matcher.group("anon")))
          .setFileRss(kb(matcher.group("file")))
          .setShmemRss(kb(matcher.group("shmem")));
      if (matcher.group("uid") != null) {
        pending.setVictimUid(Long.parseLong(matcher.group("uid")));
      }
      if (matcher.group("adj") != null) {
        pending.setOomScoreAdj(Integer.parseInt(matcher.group("adj")));
      }
      if (pending.getConstraint() == null) {
        pending.setConstraint(m.startsWith("Memory cgroup") ? "CONSTRAINT_MEMCG" : "CONSTRAINT_NONE");
      }
      final KernelEvent event = pending.setRawLines(List.copyOf(raw)).build();
      pending = null;
      raw.clear();
      return Optional.of(event);
    }
    return Optional.empty();
  }

  private void summary(final String fields) {
    for (final String part : fields.split(",")) {
      final int eq = part.indexOf('=');
      if (eq < 0) {
        continue;
      }
      final String key = part.substring(0, eq);
      final String value = part.substring(eq + 1);
      switch (key) {
        case "constraint" -> pending.setConstraint(value);
        case "oom_memcg" -> pending.setOomMemcg(value);
        case "task_memcg" -> pending.setTaskMemcg(value);
        case "task" -> pending.setVictimComm(value);
        case "pid" -> pending.setVictimPid(parseLong(value));
        case "uid" -> pending.setVictimUid(parseLong(value));
        default -> { }
      }
    }
  }

  private void start(final long wallMs) {
    pending = KernelEvent.newBuilder()
        .setHost(host)
        .setTimestampMs(wallMs)
        .setKind(KernelEventKind.OOM_KILL)
        .setSource(KernelEventSource.KMSG);
    raw.clear();
  }

  private void ensure(final long wallMs) {
    if (pending == null) {
      start(wallMs);
    }
  }

  private void keep(final String line) {
    if (raw.size() < MAX_RAW_LINES) {
      raw.add(line);
    }
  }

  private static long kb(final String value) {
    return Long.parseLong(value) * 1024;
  }

  private static Long parseLong(final String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
