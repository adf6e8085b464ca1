package dev.oomwatch.history;

import dev.oomwatch.streams.JsonSerde;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The stores behind the history the API serves, all keyed so that one host's data lives on the
 * partition of that host (which is how interactive queries find its owner):
 * <ul>
 *   <li>{@value #TIMELINE}: every snapshot by "host|instance" and time;</li>
 *   <li>{@value #KILLS}: every kernel OOM kill by "host|instance" ("host|" when unattributed);</li>
 *   <li>{@value #ALERT_EVENTS}: every alert event by "host|instance" ("host|" for host alerts);</li>
 *   <li>{@value #ALERT_BOARD}: the latest event of each alert, firing or resolved, by alert key.</li>
 * </ul>
 * The first three are window stores whose retention is {@link HistoryConfig#retention()}, so old
 * data leaves by whole segments and costs nothing to expire.
 */
public final class HistoryStores {
  public static final String TIMELINE = "timeline";
  public static final String KILLS = "kills";
  public static final String ALERT_EVENTS = "alert-events";
  public static final String ALERT_BOARD = "alert-board";
  /** A point in time, not a span: each entry is a window of 1 ms. */
  private static final Duration INSTANT = Duration.ofMillis(1);

  private HistoryStores() {}

  public static StoreBuilder<WindowStore<String, TimelinePoint>> timeline(final HistoryConfig config) {
    return Stores.windowStoreBuilder(
        Stores.persistentWindowStore(TIMELINE, config.retention(), INSTANT, false),
        Serdes.String(), new TimelinePointSerde());
  }

  public static StoreBuilder<WindowStore<String, KillView>> kills(final HistoryConfig config) {
    return Stores.windowStoreBuilder(
        Stores.persistentWindowStore(KILLS, config.retention(), INSTANT, true),
        Serdes.String(), new JsonSerde<>(KillView.class));
  }

  public static StoreBuilder<WindowStore<String, AlertView>> alertEvents(final HistoryConfig config) {
    return Stores.windowStoreBuilder(
        Stores.persistentWindowStore(ALERT_EVENTS, config.retention(), INSTANT, true),
        Serdes.String(), new JsonSerde<>(AlertView.class));
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
