package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.join.RedisDetail;
import dev.oomwatch.schema.KernelEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A kill explained in Redis's terms, from the instance's last look before it: what was forking
 * and how far it had got, what the memory the kernel counted was made of, what happens next, and
 * the one change that would have prevented it. Computed once, when the kill is recorded (before
 * the kill's own bookkeeping forgets the fork), kept with the kill. Pure.
 *
 * @param forkKind BGSAVE, AOF_REWRITE, REPLICA_SYNC, MODULE, FORK (a child the kernel saw, Redis
 *     not saying which) or NONE
 * @param parts the bytes the kernel counted, by part, in the order they are said; they add up to
 *     {@code countedBytes}: dataset, clientBuffers, replicaBuffers, replicationBacklog,
 *     redisOverhead (Redis's own structures), copyOnWrite (the fork's copied pages),
 *     fragmentation (the allocator's resident memory beyond used_memory) and rest (other processes
 *     of the cgroup, libraries, growth since the last look)
 * @param next what follows the kill, one sentence each
 * @param neededLimitBytes the limit this fork needed to finish (its copy projected to its end)
 * @param safeMaxmemoryBytes the used_memory that such a fork fits under the limit it had
 * @param projectedCopyBytes what the fork would have copied by its end (null: nothing forked)
 * @param usedMemory used_memory at the last look
 * @param advised the instance's sizing advice at that look, from its history before this kill
 */
public record KillExplanation(
    String forkKind,
    Double forkProgressPercent,
    Long keysProcessed,
    Long keysTotal,
    Long forkRunningMs,
    long lookedAtMs,
    long countedBytes,
    Map<String, Long> parts,
    List<String> next,
    Long neededLimitBytes,
    Long safeMaxmemoryBytes,
    Long limitBytes,
    Long projectedCopyBytes,
    Long usedMemory,
    dev.oomwatch.sizing.Sizing advised) {

  /** Parts that are said in the summary when at least this share of the total (the rest are in the evidence). */
  private static final double SAID_SHARE = 0.03;

  /**
   * {@code role}: what the instance lost (SERVER, FORK_CHILD); null when there is no look before
   * the kill to explain it from.
   */
  public static KillExplanation of(final InstanceState state, final KernelEvent event, final String role) {
    final InstanceSnapshot look = lastLookBefore(state, event.getTimestampMs());
    if (look == null) {
      return null;
    }
    final RedisDetail d = look.detail();
    final boolean forking = state.forkStartMs != null || look.forking();
    // a fork child died: something was forking, whatever the look said
    final String kind = d != null && d.forkKind() != null ? d.forkKind()
        : forking || "FORK_CHILD".equals(role) ? "FORK" : "NONE";
    final Long physical = look.physical();
    final long counted = event.getMemcgUsage() != null ? event.getMemcgUsage()
        : physical != null ? physical : nz(look.usedMemoryRss());
    final Map<String, Long> parts = parts(state, look, d, counted, forking);
    final Long limit = event.getMemcgLimit() != null ? event.getMemcgLimit() : look.limit();
    final Long cow = parts.get("copyOnWrite");
    final Double progress = look.progress();
    Long needed = null;
    Long safe = null;
    Long projected = null;
    if (look.usedMemory() != null && look.usedMemory() > 0) {
      // the fork's copy at its end: what it had copied scaled by how far it had got, else all the data
      // (never more than all of it: a fork copies each page once)
      final long projectedCow = !forking ? 0 : Math.min(look.usedMemory(),
          progress != null && progress > 0.05 && cow != null ? Math.round(cow / progress) : look.usedMemory());
      projected = forking ? projectedCow : null;
    }
    if (limit != null && look.usedMemory() != null && look.usedMemory() > 0) {
      final long projectedCow = projected == null ? 0 : projected;
      needed = counted - (cow == null ? 0 : cow) + projectedCow;
      // the same instance with less data: everything but the rest scales with used_memory
      final long rest = parts.getOrDefault("rest", 0L);
      final double perByte = (double) Math.max(1, needed - rest) / look.usedMemory();
      safe = needed <= limit || limit <= rest ? null : Math.round((limit - rest) / perByte);
    }
    return new KillExplanation(kind, look.forkPercent() != null && look.forkPercent() > 0 ? look.forkPercent() : null,
        look.keysProcessed() != null && look.keysProcessed() > 0 ? look.keysProcessed() : null,
        look.keysTotal(), state.forkStartMs == null ? null : Math.max(0, event.getTimestampMs() - state.forkStartMs),
        look.timestampMs(), counted, parts, next(kind, role, d, look), needed, safe, limit, projected, look.usedMemory(),
        dev.oomwatch.sizing.Sizing.of(state.sizing, look, limit));
  }

  /**
   * The latest look at the running server before the kill (a reachable snapshot with Redis's own
   * account), within a second after it for the two clocks a kill's time and a sample's come from.
   * A kill travels apart from the samples and may be read after some taken as the server died.
   */
  private static InstanceSnapshot lastLookBefore(final InstanceState state, final long killMs) {
    final List<InstanceSnapshot> looks = new ArrayList<>(state.recent);
    if (state.lastRedis != null) {
      looks.add(state.lastRedis);
    }
    InstanceSnapshot best = null;
    for (final InstanceSnapshot s : looks) {
      if (!s.reachable() || s.detail() == null) {
        continue;
      }
      if (s.timestampMs() <= killMs + 1_000 && (best == null || s.timestampMs() > best.timestampMs())) {
        best = s;
      }
    }
    // none before the kill (only the restarted server seen since): nothing to explain it from
    return best;
  }

  private static Map<String, Long> parts(final InstanceState state, final InstanceSnapshot look, final RedisDetail d,
      final long counted, final boolean forking) {
    final long used = nz(look.usedMemory());
    final long dataset = d != null && d.dataset() != null ? d.dataset() : used;
    final long clients = d == null ? 0 : nz(d.clientsNormal());
    final long replicas = d == null ? 0 : nz(d.clientsReplicas());
    final long backlog = d == null ? 0 : nz(d.replicationBacklog());
    final long overhead = Math.max(0, used - dataset - clients - replicas - backlog);
    long cow = 0;
    if (forking) {
      final long redisSays = nz(look.currentCowSize());
      final Long physical = look.physical();
      final long grown = state.forkBaseline != null && physical != null ? Math.max(0, physical - state.forkBaseline) : 0;
      cow = Math.max(redisSays, grown);
    }
    final long resident = look.serverRss() != null ? look.serverRss() : nz(look.usedMemoryRss());
    final long fragmentation = Math.max(0, resident - used);
    // each part takes what is left of the count, in order: they add up to it, the rest last
    final Map<String, Long> parts = new LinkedHashMap<>();
    long left = counted;
    for (final Map.Entry<String, Long> part : List.of(Map.entry("dataset", dataset), Map.entry("clientBuffers", clients),
        Map.entry("replicaBuffers", replicas), Map.entry("replicationBacklog", backlog),
        Map.entry("redisOverhead", overhead), Map.entry("copyOnWrite", cow), Map.entry("fragmentation", fragmentation))) {
      final long take = Math.min(left, Math.max(0, part.getValue()));
      parts.put(part.getKey(), take);
      left -= take;
    }
    parts.put("rest", left);
    return parts;
  }

  private static List<String> next(final String kind, final String role, final RedisDetail d, final InstanceSnapshot look) {
    final List<String> next = new ArrayList<>();
    if ("FORK_CHILD".equals(role)) {
      switch (kind) {
        case "AOF_REWRITE" -> next.add("The AOF rewrite failed (aof_last_bgrewrite_status:err); writes go on, and Redis "
            + "tries again, waiting longer after three failures in a row.");
        case "REPLICA_SYNC" -> next.add("The replica's full sync failed: it asks again, and the primary forks again "
            + "into the same limit.");
        case "BGSAVE" -> {
          if (d != null && Boolean.TRUE.equals(d.savePoints()) && Boolean.TRUE.equals(d.stopWritesOnBgsaveError())) {
            next.add("Redis now refuses every write with -MISCONF until a save succeeds (the save failed, save points "
                + "are set and stop-writes-on-bgsave-error is yes).");
          } else if (d != null && Boolean.TRUE.equals(d.savePoints()) && Boolean.FALSE.equals(d.stopWritesOnBgsaveError())) {
            next.add("The save failed (rdb_last_bgsave_status:err); writes go on (stop-writes-on-bgsave-error no), "
                + "not saved until a save succeeds.");
          } else if (d != null && Boolean.TRUE.equals(d.savePoints())) {
            next.add("The save failed: with stop-writes-on-bgsave-error yes (the default) Redis refuses every write "
                + "with -MISCONF until a save succeeds.");
          } else {
            next.add("The save failed (rdb_last_bgsave_status:err).");
          }
        }
        default -> {
          // the kill came before Redis said what it forked for: what follows depends on it
          if (d != null && Boolean.TRUE.equals(d.savePoints()) && !Boolean.FALSE.equals(d.stopWritesOnBgsaveError())) {
            next.add("The fork's work failed; the server is up. If it was a save (save points are set and "
                + "stop-writes-on-bgsave-error is " + (d.stopWritesOnBgsaveError() == null ? "yes by default" : "yes")
                + "), Redis now refuses every write with -MISCONF until a save succeeds: PERSISTENCE_FAILED says so "
                + "once Redis reports the failure.");
          } else {
            next.add("The fork's work (a save, a rewrite, a module's task) failed; the server is up.");
          }
        }
      }
      return next;
    }
    if ("SERVER".equals(role)) {
      next.add("What was written since the last save is lost, unless an AOF replays it.");
      if (d != null && "master".equals(d.role()) && d.connectedReplicas() != null && d.connectedReplicas() > 0) {
        next.add("Its " + d.connectedReplicas() + " replica" + (d.connectedReplicas() == 1 ? "" : "s")
            + " will need a full resync from the restarted primary: a fork each, into the same limit.");
      } else if (d != null && ("slave".equals(d.role()) || "replica".equals(d.role()))) {
        next.add("It needs a full resync from its primary when it is back: a fork on the primary.");
      }
    }
    return next;
  }

  /** What it says in the alert's summary: the fork, the parts, what follows, the one change. */
  public String sentence() {
    final StringBuilder s = new StringBuilder(" Why: ");
    if ("NONE".equals(forkKind)) {
      s.append("nothing was forking");
    } else {
      s.append(forkName()).append(" had run ");
      s.append(forkRunningMs == null ? "for an unknown time" : String.format(Locale.ROOT, "%.1f s", forkRunningMs / 1000.0));
      if (forkProgressPercent != null) {
        s.append(String.format(Locale.ROOT, " (%.0f%% done", forkProgressPercent));
        s.append(keysProcessed != null && keysTotal != null ? ", " + keysProcessed + " of " + keysTotal + " keys)" : ")");
      }
    }
    s.append("; the ").append(Evidence.human(countedBytes)).append(" the kernel counted were ");
    final List<String> said = new ArrayList<>();
    parts.forEach((name, bytes) -> {
      if (countedBytes > 0 && bytes >= SAID_SHARE * countedBytes) {
        said.add(label(name) + " " + Evidence.human(bytes) + String.format(Locale.ROOT, " (%.0f%%)", 100.0 * bytes / countedBytes));
      }
    });
    if (said.isEmpty()) {
      said.add(Evidence.human(countedBytes) + " in no part over 3%");
    }
    s.append(String.join(", ", said)).append('.');
    next.forEach(n -> s.append(' ').append(n));
    if (neededLimitBytes != null && limitBytes != null && neededLimitBytes > limitBytes) {
      s.append(" It needed a limit of ").append(Evidence.human(neededLimitBytes));
      if (safeMaxmemoryBytes != null) {
        s.append(", or maxmemory at most ").append(Evidence.human(safeMaxmemoryBytes)).append(" under this one");
      }
      s.append('.');
    }
    return s.toString();
  }

  /** The fields a program reads, into the alert's evidence. */
  public void into(final Evidence e) {
    e.put("forkKind", forkKind).put("forkProgressPercent", forkProgressPercent).put("forkKeysProcessed", keysProcessed)
        .put("forkKeysTotal", keysTotal).put("forkRunningMs", forkRunningMs).put("lastLookAtMs", lookedAtMs)
        .put("memCountedBytes", countedBytes);
    parts.forEach((name, bytes) -> e.put("mem" + Character.toUpperCase(name.charAt(0)) + name.substring(1) + "Bytes", bytes));
    e.put("next", next.isEmpty() ? null : String.join(" ", next)).put("neededLimitBytes", neededLimitBytes)
        .put("safeMaxmemoryBytes", safeMaxmemoryBytes);
    if (advised != null) {
      // what its own history advised before this kill, beside what happened
      e.put("advisedSafeMaxmemoryBytes", advised.safeMaxmemoryBytes())
          .put("advisedNeededLimitBytes", advised.neededLimitBytes()).put("advisedUsedMemory", advised.usedMemory())
          .put("advisedHeadroomBytes", advised.headroomBytes()).put("advisedForksSeen", advised.forksSeen())
          .put("advisedBasis", advised.basis());
    }
  }

  private String forkName() {
    return switch (forkKind) {
      case "BGSAVE" -> "a BGSAVE";
      case "REPLICA_SYNC" -> "a BGSAVE for a replica's full sync";
      case "AOF_REWRITE" -> "an AOF rewrite";
      case "MODULE" -> "a module's fork";
      default -> "a fork";
    };
  }

  private static String label(final String part) {
    return switch (part) {
      case "dataset" -> "dataset";
      case "clientBuffers" -> "client buffers";
      case "replicaBuffers" -> "replica buffers";
      case "replicationBacklog" -> "replication backlog";
      case "redisOverhead" -> "Redis overhead";
      case "copyOnWrite" -> "copy-on-write";
      case "fragmentation" -> "fragmentation";
      default -> "the rest (page cache, other processes, growth since the last look)";
    };
  }

  private static long nz(final Long v) {
    return v == null ? 0 : v;
  }
}
