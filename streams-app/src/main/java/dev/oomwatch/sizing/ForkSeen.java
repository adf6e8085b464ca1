package dev.oomwatch.sizing;

/**
 * One fork of an instance as the sizing advice remembers it: what it copied against the data it
 * forked with. A fork the kernel killed counts with its copy projected to its end (what it had
 * copied scaled by how far it had got): that is what it would have needed.
 *
 * @param kind BGSAVE, AOF_REWRITE, REPLICA_SYNC, MODULE or FORK (Redis did not say)
 * @param usedMemory used_memory when it began
 * @param copiedBytes the physical memory it added: its copy-on-write (the larger of the kernel's
 *     rise over the pre-fork baseline and Redis's own cow_size)
 */
public record ForkSeen(long endMs, String kind, long usedMemory, long copiedBytes, boolean killed) {
  /** Copied bytes per byte of used_memory. */
  public double copyRatio() {
    return usedMemory <= 0 ? 0 : (double) copiedBytes / usedMemory;
  }
}
