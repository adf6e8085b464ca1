package dev.oomwatch.history;

import dev.oomwatch.streams.JsonSerde;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The stores behind the history the API serves, all keyed so that one host's data lives on the
 * partition of that host (which is how interactive queries find its owner):
 * <ul>
 *   <li>{@value #TIMELINE}: every snapshot by "host|instance" and time, for {@link HistoryConfig#full()};</li>
 *   <li>{@value #TIMELINE_DETAIL}: the snapshots around forks and kills ({@link DetailSpans}) in chunks, for the retention;</li>
 *   <li>{@value #TIMELINE_ROLLUP}: every snapshot rolled up into pages of buckets ({@link RollupPage}), for the retention;</li>
 *   <li>{@value #KILLS}: every kernel OOM kill by "host|instance" ("host|" when unattributed);</li>
 *   <li>{@value #ALERT_EVENTS}: every alert event by "host|instance" ("host|" for host alerts);</li>
 *   <li>{@value #ALERT_BOARD}: the latest event of each alert, firing or resolved, by alert key.</li>
 * </ul>
 * The window stores leave by whole segments, which costs nothing to expire; their changelogs are
 * cut into segments of a twelfth of the retention (Kafka deletes only whole segments, and its default
 * of a week would keep a day's changelog for a week), kept for the retention and one segment more,
 * and deleted, not compacted ({@link #changelog(Duration)}).
 */
public final class HistoryStores {
  public static final String TIMELINE = "timeline";
  public static final String TIMELINE_DETAIL = "timeline-detail";
  public static final String TIMELINE_ROLLUP = "timeline-rollup";
  public static final String KILLS = "kills";
  public static final String ALERT_EVENTS = "alert-events";
  public static final String ALERT_BOARD = "alert-board";
  /** A point in time, not a span: each entry is a window of 1 ms. */
  private static final Duration INSTANT = Duration.ofMillis(1);

  private HistoryStores() {}

  public static StoreBuilder<WindowStore<String, TimelinePoint>> timeline(final HistoryConfig config) {
    return window(TIMELINE, config.full(), false, new TimelinePointSerde());
  }

  public static StoreBuilder<WindowStore<String, DetailChunk>> timelineDetail(final HistoryConfig config) {
    return window(TIMELINE_DETAIL, config.retention(), false, new DetailChunkSerde());
  }

  public static StoreBuilder<WindowStore<String, RollupPage>> timelineRollup(final HistoryConfig config) {
    return window(TIMELINE_ROLLUP, config.retention(), false, new RollupPageSerde());
  }

  public static StoreBuilder<WindowStore<String, KillView>> kills(final HistoryConfig config) {
    return window(KILLS, config.retention(), true, new JsonSerde<>(KillView.class));
  }

  public static StoreBuilder<WindowStore<String, AlertView>> alertEvents(final HistoryConfig config) {
    return window(ALERT_EVENTS, config.retention(), true, new JsonSerde<>(AlertView.class));
  }

  private static <V> StoreBuilder<WindowStore<String, V>> window(final String name, final Duration retention,
      final boolean duplicates, final Serde<V> serde) {
    return Stores.windowStoreBuilder(Stores.persistentWindowStore(name, retention, INSTANT, duplicates),
        Serdes.String(), serde).withLoggingEnabled(changelog(retention));
  }

  /**
   * The changelog of a window store kept {@code retention}: segments to delete by, no day more, and
   * deletion only. Kafka Streams makes window changelogs compacted as well, which hands their
   * deletion to the broker's log cleaner: busy compacting the key-value changelogs (and these,
   * whose keys, time included, never repeat), it left a 15-minute changelog holding 25 minutes in a
   * bench run. A repeated key here (a page rewritten) is a later version that a restore applies last.
   */
  static Map<String, String> changelog(final Duration retention) {
    final long segment = Math.max(Duration.ofMinutes(1).toMillis(), retention.toMillis() / 12);
    return Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
        TopicConfig.SEGMENT_MS_CONFIG, String.valueOf(segment),
        TopicConfig.RETENTION_MS_CONFIG, String.valueOf(retention.toMillis() + segment));
  }

  public static StoreBuilder<KeyValueStore<String, AlertView>> alertBoard() {
    return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ALERT_BOARD),
        Serdes.String(), new JsonSerde<>(AlertView.class));
  }

  /** The key of an instance's history; a null instance is the host's own (host-wide alerts, unmatched kills). */
  public static String key(final String host, final String instance) {
    return host + "|" + (instance == null ? "" : instance);
  }
}
