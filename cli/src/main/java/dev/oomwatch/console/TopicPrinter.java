package dev.oomwatch.console;

import dev.oomwatch.config.KafkaSettings;
import dev.oomwatch.topics.Topic;
import dev.oomwatch.wire.AvroSerde;
import dev.oomwatch.wire.Serdes;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;

/** Decodes a topic and prints each record one line at a time; a bad record is reported and skipped. */
public final class TopicPrinter {
  private TopicPrinter() {}

  /** Returns the number of records that could not be decoded. */
  public static long print(
      final KafkaSettings kafka,
      final Topic topic,
      final boolean fromBeginning,
      final long max,
      final Duration idleTimeout,
      final Function<SpecificRecord, String> render,
      final PrintStream out) {
    final AvroSerde<? extends SpecificRecord> serde = Serdes.forTopic(topic);
    final TopicFollower follower = new TopicFollower(kafka.clientProperties(Map.of()));
    Runtime.getRuntime().addShutdownHook(new Thread(follower::stop));
    final long[] skipped = {0};
    follower.follow(kafka.topic(topic), fromBeginning, max, idleTimeout, record -> {
      if (serde == null) {
        // a JSON topic: its values are the lines already
        out.println(new String(record.value(), java.nio.charset.StandardCharsets.UTF_8));
        out.flush();
        return;
      }
      try {
        final SpecificRecord value = serde.decode(record.topic(), record.value());
        if (value != null) {
          out.println(render.apply(value));
          // At once, even into a pipe: an alert that waits in a buffer is an alert not seen.
          out.flush();
        }
      } catch (SerializationException e) {
        skipped[0]++;
        System.err.println("skipped " + record.topic() + "/" + record.partition() + "@" + record.offset()
            + ": " + e.getMessage());
      }
    });
    out.flush();
    return skipped[0];
  }
}
