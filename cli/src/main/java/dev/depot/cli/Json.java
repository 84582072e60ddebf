package dev.depot.cli;

/** The little JSON the tool writes: string literals, escaped per RFC 8259. */
final class Json {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Json() {}

  /**
   * Appends {@code value} as a JSON string literal: quote and backslash escaped, control characters
   * below U+0020 as {@code \n}, {@code \r}, {@code \t} or {@code \}{@code u00XX}; everything else
   * as is.
   */
  static StringBuilder appendString(StringBuilder sb, CharSequence value) {
    sb.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        default:
          if (c < 0x20) {
            sb.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
          } else {
            sb.append(c);
          }
      }
    }
    return sb.append('"');
  }
}
