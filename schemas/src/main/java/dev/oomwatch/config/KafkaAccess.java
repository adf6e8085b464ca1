package dev.oomwatch.config;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.AuthenticationException;

/**
 * Tells credentials the cluster refuses from a cluster that is away. A wrong SASL password or a
 * TLS certificate the client does not trust is a setting to fix: every command says so in one line
 * and exits (code 3) rather than retrying for ever; a cluster that does not answer is an outage the
 * collector rides out with its buffer.
 */
public final class KafkaAccess {
  /** The exit code of a command whose Kafka credentials were refused. */
  public static final int EXIT_REFUSED = 3;

  private KafkaAccess() {}

  /** Throws the cluster's {@link AuthenticationException} if it refuses these settings; returns otherwise. */
  public static void verify(final KafkaSettings kafka, final Duration timeout) {
    final int ms = (int) timeout.toMillis();
    try (Admin admin = Admin.create(kafka.clientProperties(Map.of(
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms)))) {
      admin.describeCluster().nodes().get(ms, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      refusal(e).ifPresent(a -> {
        throw a;
      });
    } catch (TimeoutException e) {
      // away, not refused: the caller goes on
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The authentication failure somewhere in {@code t}'s causes, if that is what it is. */
  public static Optional<AuthenticationException> refusal(final Throwable t) {
    Throwable c = t;
    for (int depth = 0; c != null && depth < 20; depth++, c = c.getCause()) {
      if (c instanceof AuthenticationException a) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  /** One line for a person: what was refused and which settings to check. No secret is in it. */
  public static String explain(final AuthenticationException e) {
    return "Kafka refused oomwatch's credentials: " + e.getMessage()
        + " (check kafka.security.protocol, kafka.sasl.mechanism, kafka.sasl.jaas.config and kafka.ssl.*)";
  }
}
