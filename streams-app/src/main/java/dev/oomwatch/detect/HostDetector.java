package dev.oomwatch.detect;

import dev.oomwatch.join.KernelView;
import dev.oomwatch.schema.AlertType;
import java.util.Optional;

/** One host-wide alert type's condition (no instance): kernel settings that put every Redis at risk. */
public interface HostDetector {
  AlertType type();

  Optional<Finding> evaluate(KernelView view, HostInstances instances, DetectionConfig config);
}
