package dev.ponder.prep.tokenizer;

import java.util.Arrays;

/** A growable int array: the default {@link BpeTokenizer.IntSink}. */
public final class IntList implements BpeTokenizer.IntSink {
  private int[] a;
  private int size;

  public IntList() {
    this(16);
  }

  public IntList(int capacity) {
    a = new int[Math.max(1, capacity)];
  }

  @Override
  public void add(int v) {
    if (size == a.length) {
      a = Arrays.copyOf(a, a.length * 2);
    }
    a[size++] = v;
  }

  public int get(int i) {
    if (i >= size) {
      throw new IndexOutOfBoundsException("index " + i + ", size " + size);
    }
    return a[i];
  }

  public int size() {
    return size;
  }

  /** Forgets the contents, keeping the capacity. */
  public void clear() {
    size = 0;
  }

  public int[] toArray() {
    return Arrays.copyOf(a, size);
  }
}
