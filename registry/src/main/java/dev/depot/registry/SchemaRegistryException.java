package dev.depot.registry;

/**
 * A schema registry call that failed: the registry could not be reached, did not answer in time,
 * answered with an error, or sent a schema this client cannot use. The message names the URL, the
 * HTTP status and the registry's own {@code error_code} and {@code message} when it sent them
 * (Confluent's error body, e.g. {@code {"error_code":40403,"message":"Schema not found"}}), and the
 * setting to check when the cause is likely a configuration mistake.
 *
 * <pre>{@code
 * try {
 *   schema = registry.schemaById(id);
 * } catch (SchemaRegistryException e) {
 *   if (e.errorCode() == 40403) { ... unknown id ... }
 *   throw e;
 * }
 * }</pre>
 */
public class SchemaRegistryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** {@link #statusCode()} when no HTTP response arrived. */
  public static final int NO_STATUS = -1;

  /** {@link #errorCode()} when the registry sent no Confluent error body. */
  public static final int NO_ERROR_CODE = -1;

  private final String url;
  private final int statusCode;
  private final int errorCode;

  SchemaRegistryException(
      String message, String url, int statusCode, int errorCode, Throwable cause) {
    super(message, cause);
    this.url = url;
    this.statusCode = statusCode;
    this.errorCode = errorCode;
  }

  /** The URL of the request that failed. */
  public String url() {
    return url;
  }

  /**
   * The HTTP status of the registry's answer, or {@link #NO_STATUS} when none arrived (connection
   * refused, timeout, interrupted).
   */
  public int statusCode() {
    return statusCode;
  }

  /**
   * The registry's {@code error_code} (for example 40403, schema not found), or {@link
   * #NO_ERROR_CODE} when it sent none.
   */
  public int errorCode() {
    return errorCode;
  }

  /** The same failure, thrown again in another thread that waited for the same fetch. */
  SchemaRegistryException rethrown() {
    return new SchemaRegistryException(getMessage(), url, statusCode, errorCode, this);
  }
}
