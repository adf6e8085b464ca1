package dev.oomwatch.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * CPU and heap of this JVM over one phase: broker, generator and app share it (and the machine),
 * which is what the figures describe. CPU is in cores (1.0 = one core busy for the whole phase).
 */
final class Measured {
  private static final OperatingSystemMXBean OS =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
  private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

  private final long cpu0 = OS.getProcessCpuTime();
  private final long wall0 = System.nanoTime();
  private final long jit0 = JIT.getTotalCompilationTime();
  private long maxHeap;

  void sample() {
    maxHeap = Math.max(maxHeap, MEMORY.getHeapMemoryUsage().getUsed());
  }

  double cores() {
    return (double) (OS.getProcessCpuTime() - cpu0) / Math.max(1, System.nanoTime() - wall0);
  }

  /** Time the JIT compilers spent in this phase, in cores: CPU taken from the work being measured. */
  double jitCores() {
    return (JIT.getTotalCompilationTime() - jit0) * 1e6 / Math.max(1, System.nanoTime() - wall0);
  }

  long maxHeapMb() {
    return maxHeap / (1024 * 1024);
  }

  double seconds() {
    return (System.nanoTime() - wall0) / 1e9;
  }
}
