package dev.oomwatch.e2e;

import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.ProcessMemory;
import dev.oomwatch.schema.RedisSample;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the pipeline was given about one instance in the seconds before a kill, one line per
 * sample in time order: when a scenario fails on a machine we cannot log in to (CI), this is what
 * tells a late collector from a fork too short to see from a detector that looked away.
 */
final class WhatItSaw {
  private static final long MB = 1024L * 1024;

  private WhatItSaw() {}

  static String before(final Pipeline pipeline, final String instance, final String cgroup, final KernelEvent kill,
      final long windowMs) {
    final long from = kill.getTimestampMs() - windowMs;
    final long to = kill.getTimestampMs() + 1_000;
    final List<Line> lines = new ArrayList<>();
    for (final TopicLog.Arrived<RedisSample> r : pipeline.redisSamples.all()) {
      final RedisSample s = r.value();
      if (instance.equals(s.getInstance()) && s.getTimestampMs() >= from && s.getTimestampMs() <= to) {
        lines.add(new Line(s.getTimestampMs(), String.format(Locale.ROOT,
            "redis  reachable=%s bgsave=%s aofrw=%s used=%s rss=%s cow=%s forkPerc=%s pid=%s",
            s.getReachable(), s.getRdbBgsaveInProgress(), s.getAofRewriteInProgress(), mb(s.getUsedMemory()),
            mb(s.getUsedMemoryRss()), mb(s.getCurrentCowSize()), s.getCurrentForkPerc(), s.getProcessId())));
      }
    }
    for (final TopicLog.Arrived<HostSample> r : pipeline.hostSamples.all()) {
      final HostSample s = r.value();
      if (s.getTimestampMs() < from || s.getTimestampMs() > to) {
        continue;
      }
      final StringBuilder line = new StringBuilder("host  ");
      for (final ProcessMemory p : s.getProcesses()) {
        if (p.getCgroup() != null && cgroup.equals(p.getCgroup().getPath())) {
          line.append(String.format(Locale.ROOT, " %s pid=%d rss=%s cgroup=%s/%s;", p.getRole(), p.getPid(),
              mb(p.getVmRss()), mb(p.getCgroup().getUsage()), mb(p.getCgroup().getLimit())));
        }
      }
      lines.add(new Line(s.getTimestampMs(), line.toString()));
    }
    lines.sort(java.util.Comparator.comparingLong(Line::timestampMs));
    final StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
        "what the pipeline was given about %s from %d ms before the kill (victim pid %d at %d):%n",
        instance, windowMs, kill.getVictimPid(), kill.getTimestampMs()));
    for (final Line line : lines) {
      out.append(String.format(Locale.ROOT, "  %+6d ms %s%n", line.timestampMs() - kill.getTimestampMs(), line.text()));
    }
    return out.toString();
  }

  private static String mb(final Long bytes) {
    return bytes == null ? "-" : (bytes / MB) + "M";
  }

  private record Line(long timestampMs, String text) {}
}
