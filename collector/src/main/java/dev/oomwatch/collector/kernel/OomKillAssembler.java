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
 * interleaved with other subsystems' lines, which are ignored. The victim is known on the
 * {@code Killed process} line; the event is held until the next record that is not part of the
 * next kill (or {@link #flush} after {@link #HOLD_MS} of quiet), because a cgroup with
 * {@code memory.oom.group} set (every container of a cgroup-v2 Kubernetes node since 1.28) has
 * the kernel go on: {@code Tasks in <cgroup> are going to be killed due to memory.oom.group set},
 * then a {@code Killed process} line for every other task of that cgroup. Those join the victim's
 * event, which then says the whole group died. The {@code oom_reaper} lines add nothing.
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
  private static final Pattern GROUP = Pattern.compile(
      "^Tasks in (?<cgroup>\\S+) are going to be killed due to memory\\.oom\\.group set");
  private static final Pattern EXITING = Pattern.compile(
      "OOM victim (?<pid>\\d+) \\((?<comm>[^)]*)\\) is already exiting");

  /** How long a complete victim's event waits for a group kill's lines that have not come. */
  public static final long HOLD_MS = 100;
  /** The most between two lines of one group kill, by the kernel's stamps (they come microseconds apart). */
  static final long GROUP_GAP_US = 50_000;

  /** A kill and the kernel's monotonic stamp of its victim's record (the caller tells replayed kills by it). */
  public record Assembled(KernelEvent event, long monotonicUs) {}

  private final String host;
  private KernelEvent.Builder pending;
  private final List<String> raw = new ArrayList<>();
  /** The victim's event, complete but for a group kill that may follow. */
  private KernelEvent.Builder held;
  private long heldMonotonicUs;
  /** The kernel's stamp of the last line taken into the held kill. */
  private long heldLastUs;
  private boolean inGroup;
  /** The chosen victim of the report being read, when the kernel said it was already exiting. */
  private dev.oomwatch.schema.OomTask exitingVictim;
  private final List<dev.oomwatch.schema.OomTask> members = new ArrayList<>();
  private final List<String> heldRaw = new ArrayList<>();

  public OomKillAssembler(final String host) {
    dev.oomwatch.wire.TrustedSchemaClasses.install();
    this.host = host;
  }

  /**
   * Feeds one record; returns the kills it completes (a held one it proves complete, and rarely one
   * it completes itself as well). {@code wallMs} is the record's time as wall clock (converted from
   * its monotonic stamp by the caller).
   */
  public List<Assembled> accept(final KmsgRecord record, final long wallMs) {
    final String line = record.message();
    final List<Assembled> done = new ArrayList<>(1);
    // the kernel prints a group kill's lines at once: a line long after the last one taken is not of it
    // (in an OOM storm the next kill's header may be rate-limited away, leaving only its Killed line)
    if (held != null && record.monotonicUs() - heldLastUs > GROUP_GAP_US) {
      done.add(release());
    }
    if (held != null) {
      if (group(line)) {
        heldLastUs = record.monotonicUs();
        return done;
      }
      // only the next kill's lines prove the held one whole: another subsystem's line may come
      // between a victim and its group (another CPU's printk), and the oom_reaper's at any time
      if (startsOrEndsAKill(line)) {
        done.add(release());
      }
    } else if (GROUP.matcher(line).find()) {
      // a group kill whose chosen victim was already exiting (no Killed line of its own): the
      // report so far is the group's event
      if (pending == null) {
        start(wallMs);
      }
      held = pending.setKmsgSequence(record.sequence());
      pending = null;
      heldMonotonicUs = record.monotonicUs();
      heldLastUs = record.monotonicUs();
      heldRaw.clear();
      heldRaw.addAll(raw);
      raw.clear();
      group(line);
      // the chosen victim, exiting already, dies with the group: one of its tasks, not lost
      if (exitingVictim != null) {
        members.add(0, exitingVictim);
        exitingVictim = null;
      }
      return done;
    }
    assemble(record, wallMs).ifPresent(victim -> {
      held = victim;
      heldMonotonicUs = record.monotonicUs();
      heldLastUs = record.monotonicUs();
      heldRaw.clear();
      heldRaw.addAll(raw);
      raw.clear();
    });
    return done;
  }

  /** Whether a kill is held for a group kill's lines. */
  public boolean holding() {
    return held != null;
  }

  /**
   * The held kill, whole: the caller says when, after {@link #HOLD_MS} in which the kernel log had
   * nothing more to read (the kernel prints a group kill's lines at once, under its OOM lock).
   */
  public Optional<Assembled> flush() {
    return held == null ? Optional.empty() : Optional.of(release());
  }

  private static boolean startsOrEndsAKill(final String line) {
    return INVOKED.matcher(line).find() || MEMCG_USAGE.matcher(line).find() || TASK_IN.matcher(line).find()
        || SUMMARY.matcher(line).find() || SACRIFICE.matcher(line).find() || KILLED.matcher(line).find();
  }

  /** A line of the held kill's group kill, taken in; false when the line is not one. */
  private boolean group(final String line) {
    Matcher m = GROUP.matcher(line);
    if (m.find()) {
      inGroup = true;
      held.setGroupKill(true).setGroupMemcg(m.group("cgroup"));
      keepHeld(line);
      return true;
    }
    if (!inGroup) {
      return false;
    }
    if ((m = KILLED.matcher(line)).find()) {
      final long pid = Long.parseLong(m.group("pid"));
      // the chosen victim met again in the scan of its cgroup is not a second death
      if (!Long.valueOf(pid).equals(held.getVictimPid())) {
        members.add(dev.oomwatch.schema.OomTask.newBuilder().setPid(pid).setComm(m.group("comm"))
            .setUid(m.group("uid") == null ? null : Long.parseLong(m.group("uid")))
            .setAnonRss(kb(m.group("anon")))
            .setOomScoreAdj(m.group("adj") == null ? null : Integer.parseInt(m.group("adj"))).build());
      }
      keepHeld(line);
      return true;
    }
    if ((m = EXITING.matcher(line)).find()) {
      final long pid = Long.parseLong(m.group("pid"));
      if (!Long.valueOf(pid).equals(held.getVictimPid())) {
        members.add(dev.oomwatch.schema.OomTask.newBuilder().setPid(pid).setComm(m.group("comm")).build());
      }
      keepHeld(line);
      return true;
    }
    return false;
  }

  private Assembled release() {
    final KernelEvent event = held.setGroupVictims(List.copyOf(members)).setRawLines(List.copyOf(heldRaw)).build();
    final Assembled out = new Assembled(event, heldMonotonicUs);
    held = null;
    inGroup = false;
    members.clear();
    heldRaw.clear();
    return out;
  }

  private void keepHeld(final String line) {
    if (heldRaw.size() < MAX_RAW_LINES) {
      heldRaw.add(line);
    }
  }

  /** The old one-kill assembly: the victim's event, complete on its Killed-process line. */
  private Optional<KernelEvent.Builder> assemble(final KmsgRecord record, final long wallMs) {
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
    if (pending != null && (matcher = EXITING.matcher(m)).find()) {
      // the victim the kernel chose was exiting already: not killed by this report, but its task
      exitingVictim = dev.oomwatch.schema.OomTask.newBuilder().setPid(Long.parseLong(matcher.group("pid")))
          .setComm(matcher.group("comm")).build();
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
      final KernelEvent.Builder victim = pending;
      pending = null;
      return Optional.of(victim);
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
    exitingVictim = null;
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
