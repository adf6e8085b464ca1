package dev.oomwatch.query;

import dev.oomwatch.history.AlertView;
import dev.oomwatch.history.KillView;
import dev.oomwatch.history.TimelinePoint;
import java.util.List;

/** A kernel OOM kill with the instance's snapshots and the alerts raised around it. */
public record Incident(
    String host,
    String instance,
    long timestampMs,
    KillView kill,
    long fromMs,
    long toMs,
    List<TimelinePoint> snapshots,
    List<AlertView> alerts) {}
