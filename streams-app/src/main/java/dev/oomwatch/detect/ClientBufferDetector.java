package dev.oomwatch.detect;

import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.Severity;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * CLIENT_BUFFER_BLOAT: a client's output buffer above 256 MB (WARNING), a MONITOR client (WARNING),
 * or unlimited normal-client buffers (INFO: the default, a risk rather than a fault).
 */
public final class ClientBufferDetector implements Detector {
  @Override
  public AlertType type() {
    return AlertType.CLIENT_BUFFER_BLOAT;
  }

  @Override
  public Optional<Finding> evaluate(final InstanceState state, final InstanceSnapshot now, final DetectionConfig config) {
    final List<String> problems = new ArrayList<>();
    Severity severity = Severity.INFO;
    if (now.topClientOmem() != null && now.topClientOmem() > config.clientOmemBytes()) {
      problems.add("client " + now.topClient() + " holds an output buffer of " + Evidence.human(now.topClientOmem()));
      severity = Severity.WARNING;
    }
    if (now.monitorClients() != null && now.monitorClients() > 0) {
      problems.add(now.monitorClients() + " MONITOR client(s) copy every command into a buffer");
      severity = Severity.WARNING;
    }
    if (Boolean.TRUE.equals(now.normalBuffersUnlimited())) {
      problems.add("normal clients have no output-buffer limit (client-output-buffer-limit normal 0 0 0)");
    }
    if (problems.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new Finding(type(), severity,
        now.instance() + ": " + String.join("; ", problems) + ".",
        Evidence.with().put("topClientOmem", now.topClientOmem()).put("topClient", now.topClient())
            .put("monitorClients", now.monitorClients()).put("normalBuffersUnlimited", now.normalBuffersUnlimited()).map(),
        "redis-cli CLIENT LIST and sort by omem",
        "CONFIG SET client-output-buffer-limit \"normal 64mb 32mb 60\" (and in redis.conf); end forgotten MONITOR sessions."));
  }
}
