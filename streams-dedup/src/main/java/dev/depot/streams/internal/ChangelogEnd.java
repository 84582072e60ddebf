package dev.depot.streams.internal;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last stable offset of a store's changelog partition, asked of the brokers with the
 * application's own admin settings: under exactly-once no record of a transaction still open lies
 * below it. Created on first use, one admin client per store; failures answer null (the checkpoint
 * waits for the next chance).
 */
final class ChangelogEnd implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChangelogEnd.class);

  private final Map<String, Object> appConfigs;
  private final TopicPartition changelog;
  private Admin admin;

  ChangelogEnd(Map<String, Object> appConfigs, TopicPartition changelog) {
    this.appConfigs = appConfigs;
    this.changelog = changelog;
  }

  /** The last stable offset, or null when it cannot be had now. */
  Long lastStableOffset() {
    try {
      if (admin == null) {
        StreamsConfig config = new StreamsConfig(appConfigs);
        admin =
            Admin.create(
                config.getAdminConfigs(
                    appConfigs.get(StreamsConfig.APPLICATION_ID_CONFIG)
                        + "-"
                        + changelog
                        + "-end"));
      }
      ListOffsetsResultInfo info =
          admin
              .listOffsets(
                  Map.of(changelog, OffsetSpec.latest()),
                  new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
              .partitionResult(changelog)
              .get(10, TimeUnit.SECONDS);
      return info.offset();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      LOG.debug("cannot read the last stable offset of {}: {}", changelog, e.toString());
      return null;
    }
  }

  @Override
  public void close() {
    if (admin != null) {
      admin.close();
      admin = null;
    }
  }
}
