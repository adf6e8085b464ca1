package dev.oomwatch.query;

import dev.oomwatch.history.AlertView;
import dev.oomwatch.history.BucketView;
import dev.oomwatch.history.KillView;
import dev.oomwatch.history.ResolutionSpan;
import dev.oomwatch.history.TimelinePoint;
import java.util.List;

/**
 * An instance's history between two times: its snapshots where they are kept at full resolution
 * (the recent past, around forks and kills), its rolled-up buckets elsewhere, which stretch is at
 * which resolution, and the kills and alerts in the span.
 */
public record Timeline(
    String host,
    String instance,
    long fromMs,
    long toMs,
    List<TimelinePoint> points,
    List<BucketView> buckets,
    List<ResolutionSpan> resolution,
    List<KillView> kills,
    List<AlertView> alerts) {}
