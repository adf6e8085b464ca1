package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import java.util.Optional;

/** One alert type's condition for one instance. Pure: state and snapshot in, a finding or none out. */
public interface Detector {
  AlertType type();

  /** The finding while the condition holds at {@code now}; empty when it does not. */
  Optional<Finding> evaluate(InstanceState state, InstanceSnapshot now, DetectionConfig config);
}
