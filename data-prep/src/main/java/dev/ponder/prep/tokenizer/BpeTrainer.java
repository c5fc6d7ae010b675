package dev.ponder.prep.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains byte-level BPE merges from word counts on the driver (the Spark job counts the words).
 *
 * <p>Standard BPE: repeatedly merge the most frequent adjacent pair of tokens, counted over all
 * words weighted by word count; ties go to the smaller (left id, right id), so training is a
 * function of the counts alone. Instead of recounting every pair after each merge, pair counts
 * are updated incrementally, an index from pair to the words containing it limits each merge to
 * the words it changes, and a max-heap with lazy deletion finds the best pair: an entry whose
 * count is out of date is re-pushed with the current count when it surfaces.
 *
 * <p>If a merge produces a byte string that is already a token (ab+c after a+bc), the existing
 * id is reused, as HF's trainer does, so the vocabulary grows by one per merge except then.
 */
public final class BpeTrainer {
  public static final int DEFAULT_VOCAB_SIZE = 8192;

  private BpeTrainer() {}

  /**
   * Trains until the vocabulary has {@code vocabSize} tokens, or fewer if no pair is left.
   *
   * @param counts occurrences of each word (the output of {@link PreTokenizer})
   * @param vocabSize at least 256 (the byte tokens)
   */
  public static BpeTokenizer train(Map<WordBytes, Long> counts, int vocabSize) {
    if (vocabSize < 256) {
      throw new IllegalArgumentException(
          "vocabSize must be at least 256 (one token per byte), got " + vocabSize);
    }
    return new Run(counts).train(vocabSize);
  }

  /** The mutable state of one training run. */
  private static final class Run {
    // Words, flattened: symbols of word w are sym[start[w], start[w] + len[w]).
    private final int[] sym;
    private final int[] start;
    private final int[] len;
    private final long[] wordCount;
    private final int[] visitedAt; // merge number that last rewrote the word

    // Pairs, by index: key, current count, words that contain (or once contained) it.
    private final LongIntMap pairIndex;
    private long[] pairKey = new long[1024];
    private long[] pairCount = new long[1024];
    private int[][] pairWords = new int[1024][];
    private int[] pairWordsSize = new int[1024];
    private int[] touchedAt = new int[1024];
    private int pairs;

    private final Heap heap = new Heap();
    private final List<byte[]> tokens = new ArrayList<>();
    private final Map<WordBytes, Integer> tokenIds = new HashMap<>();

    Run(Map<WordBytes, Long> counts) {
      // Sorted words make the word order, and thus every array here, independent of map order.
      WordBytes[] words = counts.keySet().toArray(new WordBytes[0]);
      Arrays.sort(words);
      int total = 0;
      for (WordBytes w : words) {
        total = Math.addExact(total, w.length());
      }
      sym = new int[total];
      start = new int[words.length];
      len = new int[words.length];
      wordCount = new long[words.length];
      visitedAt = new int[words.length];
      Arrays.fill(visitedAt, -1);
      int p = 0;
      for (int w = 0; w < words.length; w++) {
        Long c = counts.get(words[w]);
        if (c == null || c < 0) {
          throw new IllegalArgumentException("count of word '" + words[w] + "' is " + c);
        }
        start[w] = p;
        len[w] = words[w].length();
        wordCount[w] = c;
        for (int i = 0; i < len[w]; i++) {
          sym[p++] = words[w].byteAt(i) & 0xFF; // ids 0..255 are the bytes
        }
      }
      pairIndex = new LongIntMap(1 << 16);
      for (int b = 0; b < 256; b++) {
        tokens.add(new byte[] {(byte) b});
        tokenIds.put(new WordBytes(new byte[] {(byte) b}), b);
      }
    }

    BpeTokenizer train(int vocabSize) {
      for (int w = 0; w < start.length; w++) {
        for (int i = start[w]; i + 1 < start[w] + len[w]; i++) {
          addPair(sym[i], sym[i + 1], w, wordCount[w]);
        }
      }
      for (int p = 0; p < pairs; p++) {
        if (pairCount[p] > 0) {
          heap.push(pairCount[p], pairKey[p], p);
        }
      }
      IntArray left = new IntArray();
      IntArray right = new IntArray();
      IntArray result = new IntArray();
      LongIntMap merged = new LongIntMap(vocabSize);
      int step = 0;
      while (tokens.size() < vocabSize && heap.size() > 0) {
        long count = heap.topCount();
        long key = heap.topKey();
        int p = heap.topPair();
        heap.pop();
        if (pairCount[p] != count) { // stale entry: requeue with the true count
          if (pairCount[p] > 0) {
            heap.push(pairCount[p], key, p);
          }
          continue;
        }
        int a = LongIntMap.left(key);
        int b = LongIntMap.right(key);
        byte[] bytes = concat(tokens.get(a), tokens.get(b));
        WordBytes wb = new WordBytes(bytes);
        Integer id = tokenIds.get(wb);
        if (id == null) {
          id = tokens.size();
          tokens.add(bytes);
          tokenIds.put(wb, id);
        }
        if (merged.get(key, -1) < 0) { // a pair that comes back after an id reuse keeps its rank
          merged.put(key, left.size);
          left.add(a);
          right.add(b);
          result.add(id);
        }
        applyMerge(p, a, b, id, step++);
      }
      return new BpeTokenizer(tokens.toArray(new byte[0][]), left.toArray(), right.toArray(),
          result.toArray(), false, "[]");
    }

    /** Rewrites every word containing (a, b), updating the counts of the neighbouring pairs. */
    private void applyMerge(int p, int a, int b, int id, int step) {
      int[] words = pairWords[p];
      int nWords = pairWordsSize[p];
      IntArray increased = new IntArray();
      for (int k = 0; k < nWords; k++) {
        int w = words[k];
        if (visitedAt[w] == step) {
          continue; // listed twice
        }
        visitedAt[w] = step;
        long c = wordCount[w];
        int s = start[w];
        int e = s + len[w];
        int out = s;
        for (int r = s; r < e; ) {
          if (r + 1 < e && sym[r] == a && sym[r + 1] == b) {
            if (out > s) { // the pair on the left now ends in the new token
              addPair(sym[out - 1], a, -1, -c);
              increased.add(addPair(sym[out - 1], id, w, c));
            }
            if (r + 2 < e) { // and the pair on the right starts with it
              addPair(b, sym[r + 2], -1, -c);
              increased.add(addPair(id, sym[r + 2], w, c));
            }
            sym[out++] = id;
            r += 2;
          } else {
            sym[out++] = sym[r++];
          }
        }
        len[w] = out - s;
      }
      pairCount[p] = 0; // every occurrence was merged (deltas above touched it when a == b)
      pairWords[p] = null;
      pairWordsSize[p] = 0;
      for (int k = 0; k < increased.size; k++) {
        int q = increased.a[k];
        if (touchedAt[q] != step + 1 && pairCount[q] > 0) {
          touchedAt[q] = step + 1;
          heap.push(pairCount[q], pairKey[q], q);
        }
      }
    }

    /** Adds c to the count of (a, b), records word w (if >= 0) as holding it; returns its index. */
    private int addPair(int a, int b, int w, long c) {
      long key = LongIntMap.pair(a, b);
      int p = pairIndex.get(key, -1);
      if (p < 0) {
        p = pairs++;
        if (p == pairKey.length) {
          int n = p * 2;
          pairKey = Arrays.copyOf(pairKey, n);
          pairCount = Arrays.copyOf(pairCount, n);
          pairWords = Arrays.copyOf(pairWords, n);
          pairWordsSize = Arrays.copyOf(pairWordsSize, n);
          touchedAt = Arrays.copyOf(touchedAt, n);
        }
        pairKey[p] = key;
        pairIndex.put(key, p);
      }
      pairCount[p] += c;
      if (w >= 0) {
        int[] list = pairWords[p];
        int n = pairWordsSize[p];
        if (list == null) {
          list = pairWords[p] = new int[2];
        } else if (list[n - 1] == w) {
          return p; // the word is already the last one listed
        } else if (n == list.length) {
          list = pairWords[p] = Arrays.copyOf(list, n * 2);
        }
        list[n] = w;
        pairWordsSize[p] = n + 1;
      }
      return p;
    }

    private static byte[] concat(byte[] x, byte[] y) {
      byte[] r = Arrays.copyOf(x, x.length + y.length);
      System.arraycopy(y, 0, r, x.length, y.length);
      return r;
    }
  }

  /** A growable int array (internal). */
  private static final class IntArray {
    int[] a = new int[16];
    int size;

    void add(int v) {
      if (size == a.length) {
        a = Arrays.copyOf(a, size * 2);
      }
      a[size++] = v;
    }

    int[] toArray() {
      return Arrays.copyOf(a, size);
    }
  }

  /** Max-heap of (count, pair key, pair index): highest count first, then smallest key. */
  private static final class Heap {
    private long[] counts = new long[1024];
    private long[] keys = new long[1024];
    private int[] idx = new int[1024];
    private int size;

    int size() {
      return size;
    }

    long topCount() {
      return counts[0];
    }

    long topKey() {
      return keys[0];
    }

    int topPair() {
      return idx[0];
    }

    private boolean before(long c1, long k1, long c2, long k2) {
      return c1 != c2 ? c1 > c2 : k1 < k2;
    }

    void push(long c, long k, int p) {
      if (size == counts.length) {
        counts = Arrays.copyOf(counts, size * 2);
        keys = Arrays.copyOf(keys, size * 2);
        idx = Arrays.copyOf(idx, size * 2);
      }
      int i = size++;
      while (i > 0) {
        int parent = (i - 1) >>> 1;
        if (!before(c, k, counts[parent], keys[parent])) {
          break;
        }
        counts[i] = counts[parent];
        keys[i] = keys[parent];
        idx[i] = idx[parent];
        i = parent;
      }
      counts[i] = c;
      keys[i] = k;
      idx[i] = p;
    }

    void pop() {
      size--;
      long c = counts[size];
      long k = keys[size];
      int p = idx[size];
      int i = 0;
      while (true) {
        int ch = 2 * i + 1;
        if (ch >= size) {
          break;
        }
        if (ch + 1 < size && before(counts[ch + 1], keys[ch + 1], counts[ch], keys[ch])) {
          ch++;
        }
        if (!before(counts[ch], keys[ch], c, k)) {
          break;
        }
        counts[i] = counts[ch];
        keys[i] = keys[ch];
        idx[i] = idx[ch];
        i = ch;
      }
      counts[i] = c;
      keys[i] = k;
      idx[i] = p;
    }
  }
}
