package dev.depot.store.timekey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimeKeyTest {
  @Test
  void encodesSixteenBigEndianBytesAndDecodesThemBack() {
    TimeKey key = TimeKey.of(0x0102030405060708L, 0x11121314, 0x21222324);
    assertThat(key.toBytes())
        .containsExactly(
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x11, 0x12, 0x13, 0x14, 0x21, 0x22,
            0x23, 0x24);
    assertThat(TimeKey.fromBytes(key.toBytes())).isEqualTo(key);
    assertThat(key.userId()).isEqualTo(0x11121314);
    assertThat(key.deviceId()).isEqualTo(0x21222324);
    assertThat(key.id()).isEqualTo(0x1112131421222324L);
    assertThat(key.micros()).isEqualTo(0x0102030405060708L);
  }

  @Test
  void aDeviceIdWithTheHighBitSetDoesNotLeakIntoTheUserId() {
    TimeKey key = TimeKey.of(5, 7, -1);
    assertThat(key.userId()).isEqualTo(7);
    assertThat(key.deviceId()).isEqualTo(-1);
    assertThat(TimeKey.of(5, key.id())).isEqualTo(key);
  }

  @Test
  void ordersByMicrosThenId() {
    List<TimeKey> keys =
        new ArrayList<>(
            List.of(
                TimeKey.of(2, 1, 1),
                TimeKey.of(1, 9, 9),
                TimeKey.of(2, 0, 5),
                TimeKey.of(1, 9, 8)));
    Collections.sort(keys);
    assertThat(keys)
        .containsExactly(
            TimeKey.of(1, 9, 8), TimeKey.of(1, 9, 9), TimeKey.of(2, 0, 5), TimeKey.of(2, 1, 1));
    assertThat(TimeKey.of(3, 4, 5))
        .isEqualTo(TimeKey.of(3, 4, 5))
        .hasSameHashCodeAs(TimeKey.of(3, 4, 5));
  }

  @Test
  void fromBytesNamesAWrongLength() {
    assertThatThrownBy(() -> TimeKey.fromBytes(new byte[15]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a time key is 16 bytes, got 15 bytes");
    byte[] padded = new byte[20];
    System.arraycopy(TimeKey.of(9, 1, 2).toBytes(), 0, padded, 4, 16);
    assertThat(TimeKey.fromBytes(padded, 4)).isEqualTo(TimeKey.of(9, 1, 2));
  }
}
