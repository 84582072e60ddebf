package dev.depot.store.internal.queue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * Opens the channels a writer appends to. The default opens files; tests substitute channels that
 * fail the way a full disk does.
 */
@FunctionalInterface
interface SegmentChannels {
  SegmentChannels FILES = FileChannel::open;

  FileChannel open(Path file, OpenOption... options) throws IOException;
}
