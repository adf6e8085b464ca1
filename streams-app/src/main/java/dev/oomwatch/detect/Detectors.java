package dev.oomwatch.detect;

import java.util.List;

/** Every per-instance detector, in the order their alerts are emitted for one step. */
public final class Detectors {
  private Detectors() {}

  public static List<Detector> all() {
    return List.of(
        new KernelOomKillDetector(),
        new ForkAbortedDetector(),
        new RedisRestartDetector(),
        new RestartStormDetector(),
        new ForkOomImminentDetector(),
        new ForkCowSpikeDetector(),
        new CowHeadroomDetector(),
        new RssNearLimitDetector(),
        new RedisOomErrorsDetector(),
        new FragmentationDetector(),
        new ClientBufferDetector(),
        new ForkSlowDetector(),
        new MaxmemoryDetector(),
        new PersistenceFailedDetector(),
        new ReplBacklogDetector());
  }
}
