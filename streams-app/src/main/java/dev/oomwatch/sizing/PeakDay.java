package dev.oomwatch.sizing;

/**
 * The peaks of one day (UTC) of an instance's quiet samples (no fork running) and its count of forks: what its resident
 * memory was per byte of data, what other processes of its cgroup (or pod) held, and its client and
 * replica output buffers. A day's maxima, so seven days of history are seven small entries.
 *
 * @param residentRatio the largest (physical - other) / used_memory of samples with at least
 *     {@link SizingHistory#RATIO_MIN_USED} of data, or null when there were none (small instances'
 *     resident memory is mostly fixed and is counted in {@code fixedBytes} instead)
 * @param fixedBytes the largest resident memory beyond used_memory of samples under that size
 * @param forks the forks that ended that day (all of them; {@link SizingHistory#forks} keeps the worst)
 */
public record PeakDay(long dayStartMs, Double residentRatio, long fixedBytes, long otherBytes, long bufferBytes,
    int forks) {

  PeakDay withFork() {
    return new PeakDay(dayStartMs, residentRatio, fixedBytes, otherBytes, bufferBytes, forks + 1);
  }
}
