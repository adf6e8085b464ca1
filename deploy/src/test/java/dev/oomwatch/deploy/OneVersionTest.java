package dev.oomwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The images' tags, the launcher and the compose file name the version the build is of: one version,
 * set at release by scripts/release, and a place it forgot fails here.
 */
class OneVersionTest {
  private static final String VERSION = System.getProperty("oomwatch.version");
  private static final List<String> IMAGES = List.of("collector", "streams-app", "archiver", "alertmanager");

  @Test
  void theKustomizeBaseTagsEveryImageWithTheBuildsVersion() throws Exception {
    assertThat(VERSION).isNotBlank();
    final JsonNode k = new YAMLMapper().readTree(Path.of("kubernetes", "kustomization.yaml").toFile());
    final List<String> named = new ArrayList<>();
    for (final JsonNode image : k.path("images")) {
      named.add(image.path("name").asText());
      assertThat(image.path("newTag").asText()).as(image.path("name").asText()).isEqualTo(VERSION);
    }
    assertThat(named).containsExactlyInAnyOrderElementsOf(IMAGES.stream().map(i -> "oomwatch/" + i).toList());
  }

  @Test
  void theLauncherAndTheComposeFileNameItToo() throws Exception {
    final Matcher launcher = Pattern.compile("(?m)^VERSION=\"([^\"]+)\"$").matcher(Files.readString(Path.of("..", "bin", "oomwatch")));
    assertThat(launcher.find()).isTrue();
    assertThat(launcher.group(1)).isEqualTo(VERSION);
    final Matcher compose = Pattern.compile("image: localhost/oomwatch/[a-z-]+:(\\S+)")
        .matcher(Files.readString(Path.of("..", "docker-compose.yml")));
    int seen = 0;
    while (compose.find()) {
      assertThat(compose.group(1)).isEqualTo(VERSION);
      seen++;
    }
    assertThat(seen).isPositive();
  }
}
