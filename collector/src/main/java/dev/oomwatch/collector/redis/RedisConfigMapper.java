package dev.oomwatch.collector.redis;

import dev.oomwatch.schema.RedisConfig;
import java.util.Locale;
import java.util.Map;

/** CONFIG GET's answer into a {@link RedisConfig}; a parameter this server lacks stays null. Pure. */
public final class RedisConfigMapper {
  /** The parameters oomwatch asks for, each a single CONFIG GET argument. */
  public static final String[] PARAMETERS = {
      "maxmemory", "save", "appendonly", "client-output-buffer-limit", "activedefrag",
      "oom-score-adj", "oom-score-adj-values", "stop-writes-on-bgsave-error", "disable-thp"};

  private RedisConfigMapper() {}

  public static RedisConfig map(final Map<String, String> values, final long readAtMs) {
    return RedisConfig.newBuilder()
        .setReadAtMs(readAtMs)
        .setMaxmemory(number(values.get("maxmemory")))
        .setSave(values.get("save"))
        .setAppendonly(yesNo(values.get("appendonly")))
        .setClientOutputBufferLimit(values.get("client-output-buffer-limit"))
        .setActivedefrag(yesNo(values.get("activedefrag")))
        .setOomScoreAdj(values.get("oom-score-adj"))
        .setOomScoreAdjValues(values.get("oom-score-adj-values"))
        .setStopWritesOnBgsaveError(yesNo(values.get("stop-writes-on-bgsave-error")))
        .setDisableThp(yesNo(values.get("disable-thp")))
        .build();
  }

  private static Long number(final String v) {
    if (v == null) {
      return null;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Boolean yesNo(final String v) {
    if (v == null) {
      return null;
    }
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "yes" -> true;
      case "no" -> false;
      default -> null;
    };
  }
}
