package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;

/** How a fork and the kill it risks are said in Redis's terms, the same in every alert. */
final class ForkTerms {
  private ForkTerms() {}

  /** "the BGSAVE for a replica's full sync", "the AOF rewrite", ... or "the fork" when Redis does not say. */
  static String fork(final InstanceSnapshot now) {
    final String kind = now.detail() == null ? null : now.detail().forkKind();
    if (kind == null) {
      return "the fork";
    }
    return switch (kind) {
      case "BGSAVE" -> "the BGSAVE";
      case "REPLICA_SYNC" -> "the BGSAVE for a replica's full sync";
      case "AOF_REWRITE" -> "the AOF rewrite";
      case "MODULE" -> "the module's fork";
      default -> "the fork";
    };
  }

  /** The sentence a warning before a fork adds on a cgroup with memory.oom.group set; empty elsewhere. */
  static String regime(final InstanceSnapshot now) {
    return Boolean.TRUE.equals(now.oomGroup())
        ? " On this node an OOM kill takes the whole container (memory.oom.group): the fork child's kill takes the "
            + "server with it."
        : "";
  }
}
