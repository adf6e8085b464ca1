package dev.oomwatch.topics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics that are missing; an existing topic with other settings gets a warning, never
 * a change and never a crash: it may have been tuned on purpose. Where someone else owns the topics
 * ({@code topic.create=false}: a principal without CREATE) it only checks: a missing topic is an
 * error that names every missing one.
 */
public final class TopicProvisioner {
  private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);
  private static final long TIMEOUT_S = 30;

  private TopicProvisioner() {}

  /** The setting that says whether oomwatch creates its topics (default true). */
  public static final String CREATE = "topic.create";

  /** Returns the warnings it logged, one per drifted topic. */
  public static List<String> ensure(final Admin admin, final Collection<TopicSpec> specs) {
    return ensure(admin, specs, true);
  }

  /** As {@link #ensure(Admin, Collection)}; with {@code create} false a missing topic is an error, not created. */
  public static List<String> ensure(final Admin admin, final Collection<TopicSpec> specs, final boolean create) {
    try {
      final int brokers = admin.describeCluster().nodes().get(TIMEOUT_S, TimeUnit.SECONDS).size();
      return ensureOn(admin, TopicPlan.forCluster(List.copyOf(specs), brokers), create);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot provision topics: " + rootMessage(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while provisioning topics", e);
    }
  }

  private static List<String> ensureOn(final Admin admin, final Collection<TopicSpec> specs, final boolean create) {
    final List<String> warnings = new ArrayList<>();
    try {
      final Set<String> existing = admin.listTopics().names().get(TIMEOUT_S, TimeUnit.SECONDS);
      final List<NewTopic> missing = specs.stream()
          .filter(s -> !existing.contains(s.name()))
          .map(s -> new NewTopic(s.name(), Optional.of(s.partitions()), Optional.of(s.replicationFactor()))
              .configs(s.configs()))
          .toList();
      if (!missing.isEmpty() && !create) {
        throw new IllegalStateException(CREATE + "=false and these topics do not exist: "
            + missing.stream().map(NewTopic::name).sorted().collect(Collectors.joining(", "))
            + ". Create them as the README's Topics section gives them, or let oomwatch (" + CREATE + "=true)");
      }
      if (!missing.isEmpty()) {
        create(admin, missing);
      }
      final List<TopicSpec> present = specs.stream().filter(s -> existing.contains(s.name())).toList();
      if (!present.isEmpty()) {
        warnings.addAll(checkDrift(admin, present));
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot provision topics: " + rootMessage(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while provisioning topics", e);
    }
    return warnings;
  }

  private static void create(final Admin admin, final List<NewTopic> missing)
      throws InterruptedException, TimeoutException, ExecutionException {
    for (final Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> result :
        admin.createTopics(missing).values().entrySet()) {
      try {
        result.getValue().get(TIMEOUT_S, TimeUnit.SECONDS);
        LOG.info("created topic {}", result.getKey());
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    }
  }

  private static List<String> checkDrift(final Admin admin, final List<TopicSpec> present)
      throws InterruptedException, TimeoutException, ExecutionException {
    final Map<String, TopicDescription> descriptions = admin
        .describeTopics(present.stream().map(TopicSpec::name).toList())
        .allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS);
    final Map<ConfigResource, Config> configs = admin
        .describeConfigs(present.stream().map(s -> new ConfigResource(ConfigResource.Type.TOPIC, s.name())).toList())
        .all().get(TIMEOUT_S, TimeUnit.SECONDS);
    final List<String> warnings = new ArrayList<>();
    for (final TopicSpec spec : present) {
      final Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()));
      final Map<String, String> actual = config.entries().stream()
          .filter(e -> e.value() != null)
          .collect(Collectors.toMap(e -> e.name(), e -> e.value(), (a, b) -> a));
      final List<String> drift =
          TopicPlan.drift(spec, descriptions.get(spec.name()).partitions().size(), actual);
      if (!drift.isEmpty()) {
        final String warning = "topic " + spec.name() + " exists with other settings, left as it is: "
            + String.join(", ", drift);
        LOG.warn(warning);
        warnings.add(warning);
      }
    }
    return warnings;
  }

  private static String rootMessage(final Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
