package dev.oomwatch.collector.kernel;

/**
 * Which memory cgroup a process is in, from /proc/PID/cgroup: the v1 line naming the memory
 * controller ({@code 4:memory:/oomcap}) wins; else the v2 unified line ({@code 0::/system.slice/x}).
 */
public record CgroupRef(int version, String path) {

  public static CgroupRef parse(final String procPidCgroup) {
    if (procPidCgroup == null) {
      return null;
    }
    CgroupRef unified = null;
    for (final String line : procPidCgroup.split("\n")) {
      final String[] parts = line.trim().split(":", 3);
      if (parts.length < 3) {
        continue;
      }
      if (("," + parts[1] + ",").contains(",memory,")) {
        return new CgroupRef(1, parts[2]);
      }
      if ("0".equals(parts[0]) && parts[1].isEmpty()) {
        unified = new CgroupRef(2, parts[2]);
      }
    }
    return unified;
  }
}
