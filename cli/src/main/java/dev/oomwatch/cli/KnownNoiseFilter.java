package dev.oomwatch.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops the third-party warnings that say nothing to a person running oomwatch. Kafka Streams'
 * partition assignor builds a config of its own from the consumer's settings alone and warns on
 * every start that the global processing handler is off, though the streams-app turns it on
 * (StreamsAppConfig). Everything else passes.
 */
public final class KnownNoiseFilter extends TurboFilter {
  @Override
  public FilterReply decide(final Marker marker, final Logger logger, final Level level, final String format,
      final Object[] params, final Throwable t) {
    if (format != null && level == Level.WARN && "org.apache.kafka.streams.StreamsConfig".equals(logger.getName())
        && format.startsWith("Processing exception handler is not enabled for the GlobalThread")) {
      return FilterReply.DENY;
    }
    return FilterReply.NEUTRAL;
  }
}
