package dev.oomwatch.collector.kernel;

import dev.oomwatch.schema.CgroupMemory;
import java.util.Map;
import java.util.function.Function;

/**
 * A memory cgroup's files, as text by file name, into a {@link CgroupMemory}. Pure: the reader
 * does the I/O. An unlimited cgroup (v1's huge page-rounded number, v2's {@code max}) has a null
 * limit, never a huge number.
 */
public final class CgroupMemoryParser {
  /** v1 reports "no limit" as LONG_MAX rounded down to the page size; anything above 2^62 is that. */
  static final long V1_UNLIMITED_ABOVE = 1L << 62;

  public static final String[] V1_FILES = {"memory.usage_in_bytes", "memory.limit_in_bytes",
      "memory.max_usage_in_bytes", "memory.failcnt", "memory.oom_control", "memory.stat"};
  public static final String[] V2_FILES = {"memory.current", "memory.max", "memory.peak", "memory.events", "memory.stat",
      "memory.oom.group"};

  private CgroupMemoryParser() {}

  /** {@code files} maps a file name to its text; a missing file maps to null. */
  public static CgroupMemory parse(final CgroupRef ref, final Function<String, String> files) {
    return ref.version() == 1 ? v1(ref.path(), files) : v2(ref.path(), files);
  }

  /** The kubelet's working set: usage less the inactive file pages reclaim can take at once. */
  static Long workingSet(final Long usage, final Long inactiveFile) {
    if (usage == null) {
      return null;
    }
    return inactiveFile == null ? usage : Math.max(0, usage - inactiveFile);
  }

  /**
   * The cgroup's figures with the limit the kernel enforces first: the smallest on its path to the
   * root (its own, its pod's, a systemd slice's MemoryMax). {@code ancestors} gives the limit and
   * usage files of an ancestor path ("/kubepods/burstable/pod1"); the root itself never limits.
   */
  public static CgroupMemory withEffectiveLimit(
      final CgroupMemory own, final java.util.function.BiFunction<String, String, String> ancestors) {
    Long limit = own.getLimit();
    String holder = limit == null ? null : own.getPath();
    Long holderUsage = limit == null ? null : own.getUsage();
    final String limitFile = own.getVersion() == 1 ? "memory.limit_in_bytes" : "memory.max";
    final String usageFile = own.getVersion() == 1 ? "memory.usage_in_bytes" : "memory.current";
    String path = own.getPath();
    for (int depth = 0; depth < 32; depth++) {
      final int slash = path.lastIndexOf('/');
      if (slash <= 0) {
        break;
      }
      path = path.substring(0, slash);
      final Long ancestorLimit = limitValue(ancestors.apply(path, limitFile));
      if (ancestorLimit != null && (limit == null || ancestorLimit < limit)) {
        limit = ancestorLimit;
        holder = path;
        holderUsage = KeyValueText.longValue(ancestors.apply(path, usageFile));
      }
    }
    own.setEffectiveLimit(limit);
    own.setLimitPath(holder);
    own.setLimitPathUsage(holderUsage);
    return own;
  }

  private static Long limitValue(final String text) {
    if (text == null || text.trim().equals("max")) {
      return null;
    }
    final Long v = KeyValueText.longValue(text);
    return v == null || v >= V1_UNLIMITED_ABOVE ? null : v;
  }

  private static CgroupMemory v1(final String path, final Function<String, String> files) {
    final Long limit = KeyValueText.longValue(files.apply("memory.limit_in_bytes"));
    final Map<String, Long> oomControl = KeyValueText.numbers(files.apply("memory.oom_control"));
    final Map<String, Long> stat = KeyValueText.numbers(files.apply("memory.stat"));
    return CgroupMemory.newBuilder()
        .setPath(path)
        .setVersion(1)
        .setUsage(KeyValueText.longValue(files.apply("memory.usage_in_bytes")))
        .setLimit(limit == null || limit >= V1_UNLIMITED_ABOVE ? null : limit)
        .setPeak(KeyValueText.longValue(files.apply("memory.max_usage_in_bytes")))
        .setFailcnt(KeyValueText.longValue(files.apply("memory.failcnt")))
        .setOomKill(oomControl.get("oom_kill"))
        .setAnon(stat.get("rss"))
        .setFile(stat.get("cache"))
        .setWorkingSet(workingSet(KeyValueText.longValue(files.apply("memory.usage_in_bytes")),
            stat.containsKey("total_inactive_file") ? stat.get("total_inactive_file") : stat.get("inactive_file")))
        .build();
  }

  private static CgroupMemory v2(final String path, final Function<String, String> files) {
    final String max = files.apply("memory.max");
    final Map<String, Long> events = KeyValueText.numbers(files.apply("memory.events"));
    final Map<String, Long> stat = KeyValueText.numbers(files.apply("memory.stat"));
    return CgroupMemory.newBuilder()
        .setPath(path)
        .setVersion(2)
        .setUsage(KeyValueText.longValue(files.apply("memory.current")))
        .setLimit(max == null || max.trim().equals("max") ? null : KeyValueText.longValue(max))
        .setPeak(KeyValueText.longValue(files.apply("memory.peak")))
        .setOomEvents(events.get("oom"))
        .setOomKill(events.get("oom_kill"))
        .setOomGroupKill(events.get("oom_group_kill"))
        .setAnon(stat.get("anon"))
        .setFile(stat.get("file"))
        .setWorkingSet(workingSet(KeyValueText.longValue(files.apply("memory.current")), stat.get("inactive_file")))
        .setOomGroup(flag(files.apply("memory.oom.group")))
        .build();
  }

  /** A 0/1 file; null when absent or neither. */
  private static Boolean flag(final String text) {
    final Long v = KeyValueText.longValue(text);
    return v == null ? null : v == 1;
  }
}
