package dev.oomwatch.collector.container;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bundle config.json annotations as containerd's CRI plugin and CRI-O write them (fixtures from their documented keys). */
class RuntimeBundleAnnotationsTest {
  @TempDir Path dir;

  @Test
  void containerdNamesPodNamespaceAndContainer() throws Exception {
    final PodNames names = RuntimeBundleAnnotations.parse(fixture("containerd-config.json"), "x");
    assertThat(names).isEqualTo(new PodNames("cache-7d9f8b-x2k4q", "shop", "redis", "x", true));
  }

  @Test
  void crioNamesPodNamespaceAndContainer() throws Exception {
    final PodNames names = RuntimeBundleAnnotations.parse(fixture("crio-config.json"), "y");
    assertThat(names).isEqualTo(new PodNames("sessions-0", "auth", "valkey", "y", true));
  }

  @Test
  void nerdctlNamesAContainerOutsidePods() {
    // nerdctl run --name shop-cache: the annotations nerdctl writes into the bundle's config.json
    final String config = "{\"ociVersion\":\"1.1.0\",\"annotations\":{\"nerdctl/name\":\"shop-cache\","
        + "\"nerdctl/namespace\":\"default\",\"nerdctl/platform\":\"linux/amd64\"}}";
    assertThat(RuntimeBundleAnnotations.parse(config, "b")).isEqualTo(new PodNames(null, null, "shop-cache", "b", true));
    assertThat(RuntimeBundleAnnotations.parse(config.replace("shop-cache", "Shop_Cache!"), "b")).isEqualTo(PodNames.NONE);
  }

  @Test
  void aBundleWithoutPodAnnotationsOrNotJsonNamesNothing() {
    assertThat(RuntimeBundleAnnotations.parse("{\"ociVersion\":\"1.0.2\",\"annotations\":{}}", "z")).isEqualTo(PodNames.NONE);
    assertThat(RuntimeBundleAnnotations.parse("{\"ociVersion\":", "z")).isEqualTo(PodNames.NONE);
    assertThat(RuntimeBundleAnnotations.parse(null, "z")).isEqualTo(PodNames.NONE);
  }

  @Test
  void theNamerReadsTheBundleElseTheProcessHostnameAndCachesByContainer() throws Exception {
    final String id = "a".repeat(64);
    final Path bundle = dir.resolve("k8s.io").resolve(id);
    Files.createDirectories(bundle);
    Files.writeString(bundle.resolve("config.json"), fixture("containerd-config.json"));
    final Path proc = dir.resolve("proc");
    Files.createDirectories(proc.resolve("42"));
    Files.write(proc.resolve("42/environ"), "PATH=/bin\0HOSTNAME=cache-0\0REDIS_PASSWORD=secret\0".getBytes());
    final ContainerNamer namer = new ContainerNamer(proc, java.util.List.of(dir + "/k8s.io/{id}/config.json"));

    assertThat(namer.names(42, new ContainerRef("containerd", id, "u", "burstable")).podName())
        .isEqualTo("cache-7d9f8b-x2k4q");
    final PodNames fromEnv = namer.names(42, new ContainerRef(null, "b".repeat(64), "u", "burstable"));
    assertThat(fromEnv).isEqualTo(new PodNames("cache-0", null, null, "HOSTNAME", false));
    assertThat(namer.names(42, null)).isEqualTo(PodNames.NONE);
  }

  private static String fixture(final String name) throws Exception {
    return new String(RuntimeBundleAnnotationsTest.class.getResourceAsStream("/fixtures/runtime/" + name).readAllBytes());
  }
}
