package dev.oomwatch.alertmanager;

import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What fires now, by alert-state key (host|instance|type), as the compacted topic says: the latest
 * word on each key, FIRING kept, RESOLVED dropped. Pure: the bridge feeds it records in order.
 */
public final class FiringSet {
  private final Map<String, Alert> firing = new LinkedHashMap<>();

  /** Takes the latest word on a key; a null value (a tombstone) ends what fired under it. */
  public void apply(final String key, final Alert alert) {
    if (alert == null || alert.getStatus() == AlertStatus.RESOLVED) {
      firing.remove(key);
    } else {
      firing.put(key, alert);
    }
  }

  public List<Alert> firing() {
    return new ArrayList<>(firing.values());
  }

  public int size() {
    return firing.size();
  }
}
