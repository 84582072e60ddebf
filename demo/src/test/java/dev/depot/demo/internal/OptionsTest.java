package dev.depot.demo.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.generator.ReadingGenerator.Layout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OptionsTest {
  private static final Path HOME = Path.of("/repo");

  @Test
  void defaults() {
    Options o = Options.parse(new String[0], HOME);
    assertThat(o.records()).isEqualTo(200_000);
    assertThat(o.duplicateRate()).isEqualTo(0.1);
    assertThat(o.registry()).isTrue();
    assertThat(o.keepRunning()).isFalse();
    assertThat(o.data()).isEqualTo(Path.of("quickstart-data").toAbsolutePath());
    assertThat(o.batchKeys()).isEqualTo(500);
    assertThat(o.layout()).isEqualTo(Layout.BATCH);
  }

  @Test
  void everyFlag() {
    Options o =
        Options.parse(
            new String[] {
              "--records",
              "1_000",
              "--duplicate-rate",
              "0.25",
              "--keep-running",
              "--no-registry",
              "--data",
              "/tmp/qs",
              "--batch",
              "50",
              "--layout",
              "reading"
            },
            HOME);
    assertThat(o.records()).isEqualTo(1000);
    assertThat(o.duplicateRate()).isEqualTo(0.25);
    assertThat(o.keepRunning()).isTrue();
    assertThat(o.registry()).isFalse();
    assertThat(o.data()).isEqualTo(Path.of("/tmp/qs"));
    assertThat(o.batchKeys()).isEqualTo(50);
    assertThat(o.layout()).isEqualTo(Layout.READING);
  }

  @Test
  void theUsageListsEveryFlagTheScriptAndTheReadmeList() throws Exception {
    String script = Files.readString(Path.of("..", "quickstart"));
    String readme = Files.readString(Path.of("..", "README.md"));
    for (String flag :
        new String[] {
          "--records N",
          "--duplicate-rate R",
          "--keep-running",
          "--no-registry",
          "--data DIR",
          "--batch N",
          "--layout",
          "--no-build"
        }) {
      assertThat(Options.USAGE).contains(flag);
      assertThat(script).as("./quickstart's usage").contains(flag);
      assertThat(readme).as("README").contains("`" + flag);
    }
    assertThat(script).contains("[--layout batch|reading]", "[--batch N]");
  }

  @Test
  void badValuesNameTheFlagAndTheValue() {
    assertThatThrownBy(() -> Options.parse(new String[] {"--records", "ten"}, HOME))
        .hasMessage("--records must be a whole number, was ten");
    assertThatThrownBy(() -> Options.parse(new String[] {"--records", "0"}, HOME))
        .hasMessage("--records must be between 1 and 1000000000, was 0");
    assertThatThrownBy(() -> Options.parse(new String[] {"--duplicate-rate", "0.95"}, HOME))
        .hasMessage("--duplicate-rate must be a number from 0 to 0.9, was 0.95");
    assertThatThrownBy(() -> Options.parse(new String[] {"--duplicate-rate", "NaN"}, HOME))
        .hasMessageContaining("was NaN");
    assertThatThrownBy(() -> Options.parse(new String[] {"--records"}, HOME))
        .hasMessage("--records needs a value");
    assertThatThrownBy(() -> Options.parse(new String[] {"--layout", "rows"}, HOME))
        .hasMessage("--layout must be batch or reading, was rows");
    assertThatThrownBy(() -> Options.parse(new String[] {"--fast"}, HOME))
        .hasMessage("unknown option --fast (--help lists them)");
  }
}
