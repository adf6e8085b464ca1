package dev.oomwatch.collector.container;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Names from containers/storage's containers.json, as podman 4.3 wrote it here and CRI-O names its containers. */
class StorageNamesTest {
  private static final String PODMAN = "0bc5e54ec6034a8c7fbb5ab3c284304063fdfe5cfb3cb1b9c655ebca0e7295cb";
  private static final String CRIO = "1a919a2f452a345b58d46779a875e38a0b7a31765e5af80449b61cf08a5691ad";

  @TempDir Path dir;

  @Test
  void podmansNamesAndCriOsKubernetesNamesAreRead() throws Exception {
    final Path file = dir.resolve("containers.json");
    Files.writeString(file, "[{\"id\":\"" + PODMAN + "\",\"names\":[\"pm-cache-0\"],\"image\":\"11956c47\","
        + "\"metadata\":\"{\\\"name\\\":\\\"pm-cache-0\\\"}\"},"
        + "{\"id\":\"" + CRIO + "\",\"names\":[\"k8s_redis_cache-1_shop_7c1d6a2e-5b1f-4d2a-9d0e-1a2b3c4d5e6f_0\"]}]");
    final StorageNames names = new StorageNames(List.of(file, dir.resolve("absent.json")));
    assertThat(names.names(PODMAN)).isEqualTo(new PodNames(null, null, "pm-cache-0", "containers.json", true));
    assertThat(names.names(CRIO)).isEqualTo(new PodNames("cache-1", "shop", "redis", "containers.json", true));
    assertThat(names.names("ffff")).isEqualTo(PodNames.NONE);
    // a container started since: the file is read again
    Files.writeString(file, "[{\"id\":\"ffff\",\"names\":[\"Late-One\"]}]");
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    assertThat(names.names("ffff").containerName()).isEqualTo("late-one");
    // the file no longer lists the podman container: removed, it is no longer named (nor kept)
    assertThat(names.names(PODMAN)).isEqualTo(PodNames.NONE);
  }

  @Test
  void aFileOverItsBoundNamesNothingAndIsNotReadAgainUntilItChanges() throws Exception {
    final Path file = dir.resolve("containers.json");
    final StringBuilder big = new StringBuilder("[{\"id\":\"" + PODMAN + "\",\"names\":[\"pm-cache-0\"]}");
    final String filler = ",{\"id\":\"" + "0".repeat(64) + "\",\"names\":[\"x\"]}";
    while (big.length() <= 16 << 20) {
      big.append(filler);
    }
    Files.writeString(file, big.append("]"));
    final StorageNames names = new StorageNames(List.of(file));
    assertThat(names.names(PODMAN)).isEqualTo(PodNames.NONE);
    Files.writeString(file, "[{\"id\":\"" + PODMAN + "\",\"names\":[\"pm-cache-0\"]}]");
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    assertThat(names.names(PODMAN).containerName()).isEqualTo("pm-cache-0");
  }

  @Test
  void aNameThatIsNoDnsNameIsDropped() {
    assertThat(StorageNames.parse("Bad Name!", "x")).isEqualTo(PodNames.NONE);
    assertThat(StorageNames.parse("CamelCase-1", "x").containerName()).isEqualTo("camelcase-1");
  }
}
