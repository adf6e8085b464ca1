package dev.oomwatch.query;

import dev.oomwatch.history.AlertView;
import dev.oomwatch.history.KillView;
import dev.oomwatch.history.TimelinePoint;
import java.util.List;

/** An instance's snapshots between two times at full resolution, with the kills and alerts in that span. */
public record Timeline(
    String host,
    String instance,
    long fromMs,
    long toMs,
    List<TimelinePoint> points,
    List<KillView> kills,
    List<AlertView> alerts) {}
