package dev.depot.connect.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QueueReplayerTest {
  private static byte[] expected(long value) {
    return Long.toString(value).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void originOffsetBytesAreTheDecimalDigitsOfEveryLong() {
    List<Long> values = new ArrayList<>();
    long power = 1;
    for (int digits = 1; digits <= 18; digits++) {
      power *= 10;
      values.add(power - 1);
      values.add(power);
      values.add(power + 1);
    }
    values.addAll(
        List.of(0L, 1L, 9L, Long.MAX_VALUE, Long.MAX_VALUE - 1, -1L, -10L, Long.MIN_VALUE));
    Random random = new Random(7);
    for (int i = 0; i < 10_000; i++) {
      values.add(random.nextLong() >>> random.nextInt(64));
    }
    for (long value : values) {
      assertThat(QueueReplayer.decimalAscii(value)).as("%d", value).isEqualTo(expected(value));
    }
  }
}
