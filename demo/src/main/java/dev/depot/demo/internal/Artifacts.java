package dev.depot.demo.internal;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * What the build left for the quickstart to run, found under the repository ({@code home}): the
 * dedup application's shaded jar, the sink's plugin zip, the registry's runner jar, and the
 * classpaths the child processes run on. A missing artifact is a {@link QuickstartException} that
 * says to build first.
 */
public final class Artifacts {
  private final Path home;

  public Artifacts(Path home) {
    this.home = home;
  }

  /** The dedup application's shaded jar. */
  public Path dedupApp() {
    return requireFile(home.resolve("streams-dedup/target/depot-dedup-app.jar"));
  }

  /** The sink's plugin zip, the newest version when there are several. */
  public Path pluginZip() {
    Path target = home.resolve("connector/target");
    try (Stream<Path> files = Files.list(target)) {
      return files
          .filter(f -> f.getFileName().toString().matches("depot-sink-connector-.*\\.zip"))
          .max(Comparator.comparing(Path::toString))
          .orElseThrow(() -> missing(target.resolve("depot-sink-connector-*.zip")));
    } catch (IOException e) {
      throw missing(target.resolve("depot-sink-connector-*.zip"));
    }
  }

  /** The Apicurio registry's runner jar, unpacked by the demo module's build. */
  public Path registryRunner() {
    Path dir = home.resolve("demo/target/apicurio");
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(f -> f.getFileName().toString().endsWith("-runner.jar"))
          .findFirst()
          .orElseThrow(() -> missing(dir.resolve("*-runner.jar")));
    } catch (IOException e) {
      throw missing(dir.resolve("apicurio-registry-app-*-runner.jar"));
    }
  }

  /** Unzips the plugin {@code zip} into {@code plugins}, the worker's plugin.path; returns it. */
  public static Path unzipPlugin(Path zip, Path plugins) {
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
      ZipEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        Path target = plugins.resolve(entry.getName()).normalize();
        if (!target.startsWith(plugins)) {
          throw new QuickstartException(
              zip + " has an entry outside its directory: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(in, target);
        }
      }
    } catch (IOException e) {
      throw new QuickstartException("cannot unzip " + zip + ": " + e.getMessage());
    }
    return plugins;
  }

  /**
   * The Connect worker's classpath: Kafka and what it needs, without our own jars, Avro, Apicurio
   * or picocli, so that the sink runs from its plugin zip alone (a zip missing a jar fails here).
   */
  public static String kafkaOnlyClasspath() {
    List<String> kept = new ArrayList<>();
    kept.add(ownCode()); // ChildMain
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String path = entry.replace('\\', '/');
      boolean ours = path.contains("/dev/depot/") || path.contains("/target/classes");
      if (!ours
          && !path.contains("/org/apache/avro/")
          && !path.contains("/io/apicurio/")
          && !path.contains("/info/picocli/")) {
        kept.add(entry);
      }
    }
    return String.join(File.pathSeparator, kept);
  }

  /** This process's classpath: Kafka, the broker and the quickstart's own code. */
  public static String ownClasspath() {
    return System.getProperty("java.class.path");
  }

  /** Where the quickstart's classes were loaded from: the directory or jar that holds ChildMain. */
  public static String ownCode() {
    try {
      return Path.of(ChildMain.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static Path requireFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw missing(file);
    }
    return file;
  }

  private static QuickstartException missing(Path file) {
    return new QuickstartException(
        file
            + " is missing: build first (./quickstart without --no-build runs"
            + " mvn -B -DskipTests package -pl demo,cli -am)");
  }
}
