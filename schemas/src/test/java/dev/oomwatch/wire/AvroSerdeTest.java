package dev.oomwatch.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.oomwatch.schema.Alert;
import dev.oomwatch.schema.AlertStatus;
import dev.oomwatch.schema.AlertType;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.schema.Severity;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  static RedisSample sample() {
    return RedisSample.newBuilder()
        .setHost("cache-01")
        .setInstance("cache-01:6379")
        .setTimestampMs(1_700_000_000_000L)
        .setReachable(true)
        .setUsedMemory(2_750_000_000L)
        .setUsedMemoryRss(4_120_000_000L)
        .setMemFragmentationRatio(1.5)
        .setErrorstats(Map.of("OOM", 3L))
        .build();
  }

  @Test
  void roundTripsASampleAndKeepsNullsNull() {
    final AvroSerde<RedisSample> serde = Serdes.redisSample();
    final byte[] bytes = serde.serializer().serialize("oomwatch.redis-samples", sample());
    final RedisSample back = serde.deserializer().deserialize("oomwatch.redis-samples", bytes);
    assertThat(back).isEqualTo(sample());
    assertThat(back.getMaxmemory()).isNull();
  }

  @Test
  void writesAvroSingleObjectEncoding() {
    final byte[] bytes = Serdes.redisSample().encode(sample());
    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
  }

  @Test
  void roundTripsAnAlertWithEnums() {
    final Alert alert = Alert.newBuilder()
        .setAlertId("h/h:6379/KERNEL_OOM_KILL/1")
        .setType(AlertType.KERNEL_OOM_KILL)
        .setSeverity(Severity.CRITICAL)
        .setStatus(AlertStatus.FIRING)
        .setHost("h")
        .setInstance("h:6379")
        .setFiredAtMs(1L)
        .setEventTimeMs(1L)
        .setSummary("The kernel killed redis-server.")
        .setEvidence(Map.of("victimPid", "4242"))
        .setFirstCheck("dmesg")
        .setFix("size for RSS")
        .build();
    final byte[] bytes = Serdes.alert().encode(alert);
    assertThat(Serdes.alert().decode("t", bytes)).isEqualTo(alert);
  }

  @Test
  void theWireFormatIsAvrosSingleObjectEncodingBothWays() throws Exception {
    // records written by Avro's own message encoder (earlier collectors) decode, and the reverse
    final RedisSample sample = sample();
    final org.apache.avro.specific.SpecificData model = new org.apache.avro.specific.SpecificData(getClass().getClassLoader());
    final byte[] avro = new org.apache.avro.message.BinaryMessageEncoder<RedisSample>(model, RedisSample.getClassSchema())
        .encode(sample).array();
    assertThat(Serdes.redisSample().decode("t", avro)).isEqualTo(sample);
    final byte[] ours = Serdes.redisSample().encode(sample);
    assertThat(ours).isEqualTo(avro);
    assertThat(new org.apache.avro.message.BinaryMessageDecoder<RedisSample>(model, RedisSample.getClassSchema())
        .decode(ours)).isEqualTo(sample);
  }

  @Test
  void garbageIsASerializationExceptionNamingTheTopic() {
    assertThatThrownBy(() -> Serdes.redisSample().decode("oomwatch.redis-samples", new byte[] {1, 2, 3, 4}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("oomwatch.redis-samples");
  }

  @Test
  void aTruncatedRecordIsASerializationException() {
    final byte[] bytes = Serdes.redisSample().encode(sample());
    final byte[] truncated = Arrays.copyOf(bytes, bytes.length / 2);
    assertThatThrownBy(() -> Serdes.redisSample().decode("oomwatch.redis-samples", truncated))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("RedisSample");
  }

  @Test
  void aRecordOfAnUnknownSchemaIsASerializationException() {
    final byte[] alertBytes = Serdes.alert().encode(Alert.newBuilder()
        .setAlertId("a").setType(AlertType.FORK_SLOW).setSeverity(Severity.WARNING)
        .setStatus(AlertStatus.FIRING).setHost("h").setFiredAtMs(1).setEventTimeMs(1)
        .setSummary("s").setFirstCheck("c").setFix("f").build());
    assertThatThrownBy(() -> Serdes.redisSample().decode("oomwatch.redis-samples", alertBytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("oomwatch.redis-samples");
  }

  @Test
  void nullBytesAreATombstoneNotAnError() {
    assertThat(Serdes.alert().decode("t", null)).isNull();
  }
}
