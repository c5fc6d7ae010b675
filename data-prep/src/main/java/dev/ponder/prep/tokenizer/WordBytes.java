package dev.ponder.prep.tokenizer;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An immutable word (a byte string) as a map key: what the Spark counting job groups by and
 * {@link BpeTrainer#train} reads. Bytes, not String, so invalid UTF-8 survives counting.
 */
public final class WordBytes implements Serializable, Comparable<WordBytes> {
  private static final long serialVersionUID = 1L;

  private final byte[] bytes;
  private final int hash;

  /** A copy of {@code buf[start, end)}. */
  public WordBytes(byte[] buf, int start, int end) {
    this(Arrays.copyOfRange(buf, start, end), true);
  }

  /** A copy of {@code bytes}. */
  public WordBytes(byte[] bytes) {
    this(bytes.clone(), true);
  }

  private WordBytes(byte[] owned, boolean unused) {
    this.bytes = owned;
    this.hash = Arrays.hashCode(owned);
  }

  /** The word of a string's UTF-8 bytes (convenient in tests and tools). */
  public static WordBytes of(String s) {
    return new WordBytes(s.getBytes(StandardCharsets.UTF_8), true);
  }

  public int length() {
    return bytes.length;
  }

  public byte byteAt(int i) {
    return bytes[i];
  }

  /** A copy of the bytes. */
  public byte[] toByteArray() {
    return bytes.clone();
  }

  /** Copies the bytes into {@code dst} at {@code off}. */
  public void copyTo(byte[] dst, int off) {
    System.arraycopy(bytes, 0, dst, off, bytes.length);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WordBytes && hash == ((WordBytes) o).hash
        && Arrays.equals(bytes, ((WordBytes) o).bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  /** Unsigned lexicographic byte order, so sorting words is the same as sorting their UTF-8. */
  @Override
  public int compareTo(WordBytes o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  /** The text, with invalid UTF-8 shown as U+FFFD (for messages only). */
  @Override
  public String toString() {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
