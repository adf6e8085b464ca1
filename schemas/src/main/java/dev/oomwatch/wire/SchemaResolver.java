package dev.oomwatch.wire;

import java.util.Optional;
import org.apache.avro.Schema;

/** A writer schema by its 64-bit parsing fingerprint, for a fingerprint this build does not ship. */
@FunctionalInterface
public interface SchemaResolver {
  Optional<Schema> resolve(long fingerprint);
}
