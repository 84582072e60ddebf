package dev.depot.streams;

import java.util.Objects;

/**
 * Where the built-in {@link TimeKeyBatchExtractors} find a batch's readings and each reading's time
 * key: the array field holding the readings, and in each reading the time, user and device fields.
 * Immutable; each {@code with...} returns a copy.
 *
 * <pre>{@code
 * ReadingFields fields = ReadingFields.defaults()   // readings[], ts_us, user_id, device_id
 *     .withArray("samples")
 *     .withTime("t")
 *     .withStringIds();                            // "user_id": "alice", "device_id": "a4:c1:38:..."
 * }</pre>
 *
 * <ul>
 *   <li>The time field holds epoch microseconds (an Avro {@code long} or {@code int}, {@code
 *       timestamp-millis} values are converted; a JSON integer).
 *   <li>The user and device fields are looked up in each reading first, then in the record around
 *       the array, so an upload of one device may name it once at the top.
 *   <li>Integer ids (the default) must fit in 32 bits each: the id is {@code userId << 32 |
 *       deviceId}. A record without a user field counts as user 0 ({@link #withoutUser()}).
 *   <li>{@link #withStringIds()}: ids are strings (UUIDs, MAC addresses; integers are taken as
 *       their decimal text), and the key's 64-bit id is XXH64 (seed 0) of the UTF-8 bytes of the
 *       user, one zero byte, and the device (only the device when there is no user field). Two
 *       devices whose pairs hash alike are confused only at readings taken at the very same
 *       microsecond: a fleet of n devices has some colliding pair with probability about n&sup2; /
 *       2<sup>65</sup> (10<sup>-8</sup> for 10<sup>6</sup> devices), and such a pair then loses
 *       only the readings the two took in the same microsecond.
 * </ul>
 */
public final class ReadingFields {
  public static final String DEFAULT_ARRAY_FIELD = "readings";

  private final String array;
  private final String time;
  private final String user;
  private final String device;
  private final boolean stringIds;

  private ReadingFields(String array, String time, String user, String device, boolean stringIds) {
    this.array = array;
    this.time = time;
    this.user = user;
    this.device = device;
    this.stringIds = stringIds;
  }

  /**
   * Array field {@code readings}, fields {@code ts_us}, {@code user_id}, {@code device_id}, integer
   * ids.
   */
  public static ReadingFields defaults() {
    return new ReadingFields(
        DEFAULT_ARRAY_FIELD,
        TimeKeyExtractors.DEFAULT_TIME_FIELD,
        TimeKeyExtractors.DEFAULT_USER_FIELD,
        TimeKeyExtractors.DEFAULT_DEVICE_FIELD,
        false);
  }

  /**
   * The field of the record that holds the readings; the empty string means the value itself is the
   * array (JSON only: {@code [{...}, {...}]}).
   */
  public ReadingFields withArray(String field) {
    return new ReadingFields(
        Objects.requireNonNull(field, "array field cannot be null"), time, user, device, stringIds);
  }

  /** The field of a reading that holds its time, epoch microseconds. */
  public ReadingFields withTime(String field) {
    return new ReadingFields(array, name(field, "time"), user, device, stringIds);
  }

  /** The field holding the user id. */
  public ReadingFields withUser(String field) {
    return new ReadingFields(array, time, name(field, "user"), device, stringIds);
  }

  /** No user field: the device field alone names the source (user 0 with integer ids). */
  public ReadingFields withoutUser() {
    return new ReadingFields(array, time, null, device, stringIds);
  }

  /** The field holding the device id. */
  public ReadingFields withDevice(String field) {
    return new ReadingFields(array, time, user, name(field, "device"), stringIds);
  }

  /** Ids are strings, hashed into the key's 64-bit id (see the class comment). */
  public ReadingFields withStringIds() {
    return new ReadingFields(array, time, user, device, true);
  }

  /** Ids are 32-bit integers (the default). */
  public ReadingFields withIntegerIds() {
    return new ReadingFields(array, time, user, device, false);
  }

  public String array() {
    return array;
  }

  public String time() {
    return time;
  }

  /** The user field, or null when there is none. */
  public String user() {
    return user;
  }

  public String device() {
    return device;
  }

  public boolean stringIds() {
    return stringIds;
  }

  private static String name(String field, String what) {
    Objects.requireNonNull(field, what + " field cannot be null");
    if (field.isEmpty()) {
      throw new IllegalArgumentException("the " + what + " field name cannot be empty");
    }
    return field;
  }

  @Override
  public String toString() {
    return "ReadingFields{array="
        + (array.isEmpty() ? "(the value)" : array)
        + ", time="
        + time
        + ", user="
        + user
        + ", device="
        + device
        + ", ids="
        + (stringIds ? "string" : "integer")
        + "}";
  }
}
