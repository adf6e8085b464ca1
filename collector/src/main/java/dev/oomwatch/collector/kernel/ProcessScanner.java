package dev.oomwatch.collector.kernel;

import dev.oomwatch.collector.container.CgroupPathParser;
import dev.oomwatch.collector.container.ContainerNamer;
import dev.oomwatch.collector.container.ContainerRef;
import dev.oomwatch.collector.container.PodNames;
import dev.oomwatch.collector.identity.ProcFacts;
import dev.oomwatch.schema.CgroupMemory;
import dev.oomwatch.schema.ContainerInfo;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.ProcessRole;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds every redis-server (by process name, so valkey-server works too) and its children in
 * /proc, and reads each one's memory. A BGSAVE / AOF-rewrite child keeps the server's name on
 * Linux, so a child is recognised by its parent, whatever its title.
 */
public final class ProcessScanner {
  private static final Pattern TITLE_PORT = Pattern.compile("(?:^|\\s)\\S*:(\\d{1,5})(?:\\s|$)");
  private static final Pattern FORK_CHILD_TITLE =
      Pattern.compile("(?:redis|valkey)-(?:rdb-bgsave|aof-rewrite|rdb-to-slaves|module-fork)");
  private static final Pattern PORT_FLAG = Pattern.compile("--port\\s+(\\d{1,5})");

  private final KernelPaths paths;
  private final Set<String> serverNames;
  private final boolean readSmaps;
  private final ContainerNamer namer;

  public ProcessScanner(final KernelPaths paths, final Set<String> serverNames, final boolean readSmaps) {
    this(paths, serverNames, readSmaps, null);
  }

  public ProcessScanner(
      final KernelPaths paths, final Set<String> serverNames, final boolean readSmaps, final ContainerNamer namer) {
    this.paths = paths;
    this.serverNames = serverNames;
    this.readSmaps = readSmaps;
    this.namer = namer;
  }

  public KernelPaths paths() {
    return paths;
  }

  /**
   * What a scan of /proc found: the servers, and the fork children whose server died before them.
   * Such an orphan (its parent is now init) keeps the server's name and its copy of the memory in
   * the cgroup while it finishes its save; its title, not its parent, says what it is.
   */
  public record Found(List<Long> servers, List<Long> orphanedChildren) {}

  /**
   * Server processes (a matching name whose parent is not itself a matching process, titled as a
   * server) and orphaned fork children; see {@link Found}.
   */
  public Found find(final FileReads reads) {
    final Map<Long, Long> matching = new HashMap<>();
    final Set<Long> exiting = new HashSet<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(paths.proc(), p -> isPid(p.getFileName().toString()))) {
      for (final Path dir : dirs) {
        final String comm = quiet(dir.resolve("comm"));
        if (comm != null && serverNames.contains(comm.trim())) {
          final String stat = quiet(dir.resolve("stat"));
          final long pid = Long.parseLong(dir.getFileName().toString());
          matching.put(pid, ppidFromStat(stat));
          if (exiting(stat)) {
            exiting.add(pid);
          }
        }
      }
    } catch (IOException e) {
      reads.note(paths.proc().toString(), "cannot list: " + e.getMessage());
    }
    final List<Long> servers = new ArrayList<>();
    final List<Long> orphans = new ArrayList<>();
    matching.forEach((pid, ppid) -> {
      if (exiting.contains(pid) || (ppid != null && matching.containsKey(ppid))) {
        return;
      }
      final String cmdline = quiet(paths.proc().resolve(pid + "/cmdline"));
      // An empty cmdline: the process has already let go of its memory on its way out (a Redis 7
      // fork child exits within a second of its server, when its report to the dead parent fails).
      // Taken for a server it would be a second server on the instance's port.
      if (cmdline == null || cmdline.isEmpty()) {
        return;
      }
      (forkChildTitle(cmdline) ? orphans : servers).add(pid);
    });
    servers.sort(Long::compare);
    orphans.sort(Long::compare);
    return new Found(servers, orphans);
  }

  /**
   * Whether a process title is one Redis (or Valkey) gives its fork children: redis-rdb-bgsave,
   * redis-aof-rewrite, redis-rdb-to-slaves, redis-module-fork. A server's title is its name.
   */
  static boolean forkChildTitle(final String cmdline) {
    if (cmdline == null) {
      return false;
    }
    int end = 0;
    while (end < cmdline.length() && cmdline.charAt(end) != '\0' && cmdline.charAt(end) != ' ') {
      end++;
    }
    return FORK_CHILD_TITLE.matcher(cmdline.substring(0, end)).matches();
  }

  /** A server's children, from its children file (cheap); a full /proc scan where that file is absent. */
  public Set<Long> children(final long serverPid) {
    final String list = quiet(paths.proc().resolve(serverPid + "/task/" + serverPid + "/children"));
    final Set<Long> children = new LinkedHashSet<>();
    if (list != null) {
      for (final String pid : list.trim().split("\\s+")) {
        if (!pid.isEmpty() && isPid(pid)) {
          children.add(Long.parseLong(pid));
        }
      }
      return children;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(paths.proc(), p -> isPid(p.getFileName().toString()))) {
      for (final Path dir : dirs) {
        final Long ppid = ppidFromStat(quiet(dir.resolve("stat")));
        if (ppid != null && ppid == serverPid) {
          children.add(Long.parseLong(dir.getFileName().toString()));
        }
      }
    } catch (IOException e) {
      // the next scan will try again
    }
    return children;
  }

  /** One process's memory; null when it exited before it could be read. */
  public ProcessMemory read(
      final long pid, final ProcessRole role, final long serverPid, final FileReads reads,
      final Map<CgroupRef, CgroupMemory> cgroups) {
    final Path dir = paths.proc().resolve(String.valueOf(pid));
    final String status = reads.read(dir.resolve("status"));
    if (status == null) {
      return null;
    }
    final Map<String, Long> numbers = KeyValueText.numbers(status);
    final ProcessMemory.Builder b = ProcessMemory.newBuilder()
        .setPid(pid)
        .setPpid(numbers.getOrDefault("PPid", 0L))
        .setComm(orEmpty(KeyValueText.text(status, "Name")))
        .setRole(role)
        .setServerPid(serverPid)
        .setVmRss(numbers.get("VmRSS"))
        .setRssAnon(numbers.get("RssAnon"))
        .setRssFile(numbers.get("RssFile"))
        .setRssShmem(numbers.get("RssShmem"))
        .setOomScoreAdj(KeyValueText.integer(reads.read(dir.resolve("oom_score_adj"))))
        .setListenPorts(role == ProcessRole.SERVER ? ports(quiet(dir.resolve("cmdline"))) : List.of());
    if (readSmaps) {
      final Map<String, Long> rollup = KeyValueText.numbers(reads.readOptional(dir.resolve("smaps_rollup")));
      b.setPss(rollup.get("Pss")).setPrivateDirty(rollup.get("Private_Dirty")).setAnonHugePages(rollup.get("AnonHugePages"));
    }
    b.setNsPid(ProcFacts.nsPid(status)).setNetns(ProcFacts.netns(dir));
    final CgroupRef ref = CgroupRef.parse(reads.read(dir.resolve("cgroup")));
    if (ref != null) {
      b.setCgroup(cgroups.computeIfAbsent(ref, r -> {
        final Path cgroupDir = paths.cgroupDir(r);
        final CgroupMemory own = CgroupMemoryParser.parse(r, file -> reads.readOptional(cgroupDir.resolve(file)));
        if (!cgroupDir.equals(paths.cgroupDir(new CgroupRef(r.version(), "/")))) {
          CgroupMemoryParser.withEffectiveLimit(own, (ancestor, file) ->
              reads.readOptional(paths.cgroupDir(new CgroupRef(r.version(), ancestor)).resolve(file)));
        } else {
          CgroupMemoryParser.withEffectiveLimit(own, (ancestor, file) -> null);
        }
        return own;
      }));
      final ContainerRef container = CgroupPathParser.parse(ref.path());
      if (container != null) {
        final PodNames names = namer == null ? PodNames.NONE : namer.names(pid, container);
        b.setContainer(ContainerInfo.newBuilder()
            .setRuntime(container.runtime()).setContainerId(container.containerId()).setPodUid(container.podUid())
            .setQosClass(container.qosClass()).setPodName(names.podName()).setPodNamespace(names.podNamespace())
            .setContainerName(names.containerName()).setNameSource(names.source())
            .build());
      }
    }
    return b.build();
  }

  /** Ports from the server's title ("redis-server *:6379") or its --port flag. */
  public static List<Integer> ports(final String cmdline) {
    if (cmdline == null) {
      return List.of();
    }
    final String text = cmdline.replace('\0', ' ');
    final List<Integer> ports = new ArrayList<>();
    Matcher m = PORT_FLAG.matcher(text);
    if (m.find()) {
      ports.add(Integer.parseInt(m.group(1)));
      return ports;
    }
    m = TITLE_PORT.matcher(text);
    while (m.find()) {
      final int port = Integer.parseInt(m.group(1));
      if (port > 0 && port < 65536 && !ports.contains(port)) {
        ports.add(port);
      }
    }
    return ports;
  }

  /** Field 4 of /proc/PID/stat; the name in field 2 may hold spaces and parentheses. */
  /** A zombie (Z) or dead (X) process in /proc/PID/stat: it holds no memory and serves nothing. */
  static boolean exiting(final String stat) {
    if (stat == null) {
      return false;
    }
    final int close = stat.lastIndexOf(')');
    if (close < 0 || close + 2 >= stat.length()) {
      return false;
    }
    final char state = stat.charAt(close + 2);
    return state == 'Z' || state == 'X';
  }

  static Long ppidFromStat(final String stat) {
    if (stat == null) {
      return null;
    }
    final int close = stat.lastIndexOf(')');
    if (close < 0) {
      return null;
    }
    final String[] rest = stat.substring(close + 1).trim().split("\\s+");
    try {
      return rest.length > 1 ? Long.parseLong(rest[1]) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String quiet(final Path file) {
    return FileReads.quiet(file);
  }

  private static boolean isPid(final String name) {
    if (name.isEmpty() || name.length() > 10) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      if (!Character.isDigit(name.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static String orEmpty(final String s) {
    return s == null ? "" : s;
  }
}
