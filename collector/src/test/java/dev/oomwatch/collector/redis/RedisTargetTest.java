package dev.oomwatch.collector.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RedisTargetTest {

  @Test
  void theInstanceIsHostPortUnlessNamedAndThePasswordIsNeverShown() {
    final RedisTarget plain = RedisTarget.parse("redis://10.0.0.5:6380", Duration.ofSeconds(1));
    assertThat(plain.instance()).isEqualTo("10.0.0.5:6380");
    final RedisTarget named = RedisTarget.parse("rediss://alice:s3cret@cache.internal:6390/4#sessions", Duration.ofSeconds(1));
    assertThat(named.instance()).isEqualTo("sessions");
    assertThat(named.uri().isSsl()).isTrue();
    assertThat(named.uri().getDatabase()).isZero();
    assertThat(named.toString()).doesNotContain("s3cret").contains("cache.internal:6390");
  }

  @Test
  void aPasswordWithAnAtIsRedactedWhole() {
    assertThat(RedisTarget.redact("redis://alice:p@ss@w0rd@cache:6379/0")).isEqualTo("redis://***@cache:6379/0")
        .doesNotContain("ss").doesNotContain("w0rd");
    assertThat(RedisTarget.redact("redis://cache:6379")).isEqualTo("redis://cache:6379");
  }

  @Test
  void aBadUriSaysSoWithoutThePassword() {
    assertThatThrownBy(() -> RedisTarget.parse("http://bob:s3cret@cache:6379", Duration.ofSeconds(1)))
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void failuresAreClassifiedByKind() {
    assertThat(FailureReason.kind(new RuntimeException("x", new ConnectException("Connection refused")))).isEqualTo("REFUSED");
    assertThat(FailureReason.kind(new io.lettuce.core.RedisCommandTimeoutException("Command timed out"))).isEqualTo("TIMEOUT");
    assertThat(FailureReason.kind(new io.lettuce.core.RedisCommandExecutionException(
        "WRONGPASS invalid username-password pair or user is disabled."))).isEqualTo("AUTH_FAILED");
    assertThat(FailureReason.kind(new io.lettuce.core.RedisCommandExecutionException("NOPERM this user has no permissions")))
        .isEqualTo("FORBIDDEN");
    assertThat(FailureReason.of(new IllegalStateException("boom"))).isEqualTo("ERROR: boom");
  }
}
