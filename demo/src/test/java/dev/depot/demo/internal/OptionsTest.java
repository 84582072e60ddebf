package dev.depot.demo.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.generator.ReadingGenerator.Layout;
import dev.depot.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
  void theScriptPrintsTheUsageOfTheJavaSideBeforeABuild(@TempDir Path tmp) throws Exception {
    // ./quickstart --help prints its header (no Java, no build): it must be Options.usage(), each
    // line after "# " ("#" for an empty one)
    String printed;
    try (ChildJvm help =
        ChildJvm.script(Path.of("..", "quickstart"))
            .arg("--help")
            .log(tmp.resolve("help.txt"))
            .start()) {
      assertThat(help.awaitExit(Duration.ofMinutes(1))).isZero();
      printed = help.logText();
    }
    assertThat(printed)
        .as("./quickstart's header: paste Options.usage() there, each line after '# '")
        .isEqualTo(Options.usage() + "\n");
  }

  @Test
  void theUsageListsEveryFlagTheReadmeLists() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    for (String flag :
        new String[] {
          "--records N",
          "--duplicate-rate R",
          "--keep-running",
          "--no-registry",
          "--data DIR",
          "--batch N",
          "--layout batch|reading",
          "--no-build"
        }) {
      assertThat(Options.usage()).contains("[" + flag + "]");
      assertThat(readme).as("README").contains("`" + flag);
    }
  }

  @Test
  void aRepeatedFlagKeepsItsLastValueAndAValueMayLookLikeAFlag() {
    Options o =
        Options.parse(
            new String[] {"--records", "10", "--records", "20", "--data", "--keep-running"}, HOME);
    assertThat(o.records()).isEqualTo(20);
    assertThat(o.keepRunning()).isFalse();
    assertThat(o.data()).isEqualTo(Path.of("--keep-running").toAbsolutePath());
  }

  @Test
  void theBuildFlagIsTheScriptsAndChangesNothingHere() {
    assertThat(Options.parse(new String[] {"--no-build"}, HOME))
        .isEqualTo(Options.parse(new String[0], HOME));
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
    assertThatThrownBy(() -> Options.parse(new String[] {"readings"}, HOME))
        .hasMessage("unknown option readings (--help lists them)");
    assertThatThrownBy(() -> Options.parse(new String[] {"--records=10"}, HOME))
        .hasMessage("unknown option --records=10 (--help lists them)");
    assertThatThrownBy(() -> Options.parse(new String[] {"--", "--records", "10"}, HOME))
        .hasMessage("unknown option -- (--help lists them)");
    assertThatThrownBy(() -> Options.parse(new String[] {"@args.txt"}, HOME))
        .hasMessage("unknown option @args.txt (--help lists them)");
    assertThatThrownBy(() -> Options.parse(new String[] {"--keep-running", "--batch"}, HOME))
        .hasMessage("--batch needs a value");
  }
}
