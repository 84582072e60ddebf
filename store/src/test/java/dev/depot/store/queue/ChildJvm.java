package dev.depot.store.queue;

import java.io.IOException;

/**
 * The store's crash and lock tests' child JVM: a main class of the test class path, small heap,
 * quick start, standard output piped back to the test. A preset of the shared {@link
 * dev.depot.testing.ChildJvm} launcher.
 */
public final class ChildJvm {
  private ChildJvm() {}

  public static Process start(Class<?> main, String... args) throws IOException {
    return dev.depot.testing.ChildJvm.main(main)
        .jvmArg("-Xmx128m")
        .jvmArg("-XX:+UseSerialGC")
        .jvmArg("-XX:TieredStopAtLevel=1")
        .args(args)
        .start()
        .process();
  }
}
