package dev.ponder.prep.tokenizer;

import java.util.Arrays;

/**
 * The encoding loop of one thread: pre-tokenize, look each word up in a bounded cache, merge
 * the word on a miss. Not thread-safe by design; {@link BpeTokenizer} keeps one per thread.
 *
 * <p>Why a cache: word frequencies are Zipfian, so after a few MB nearly every word is a hit
 * and encoding costs about one scan and one hash probe per word. The cache is an open-addressing
 * table keyed by the word's bytes (no allocation on a hit) and is simply emptied when full.
 */
final class WordEncoder implements PreTokenizer.WordSink {
  private static final int NONE = Integer.MAX_VALUE;
  /** Words up to this many symbols merge by rescanning; longer ones use a heap (O(n log n)). */
  private static final int SMALL_WORD = 48;
  private static final int MAX_CACHED_WORD = 256;
  private static final int CACHE_SLOTS = 1 << 17;
  private static final int CACHE_MAX_ENTRIES = CACHE_SLOTS / 2;

  private final PreTokenizer preTokenizer = new PreTokenizer();
  private final BpeTokenizer.Tables model;

  private final byte[][] cacheKeys = new byte[CACHE_SLOTS][];
  private final int[][] cacheIds = new int[CACHE_SLOTS][];
  private final int[] cacheHashes = new int[CACHE_SLOTS];
  private int cacheSize;

  private int[] sym = new int[64];
  private int[] aux = new int[64]; // pair ranks (small path) or prev links (heap path)
  private int[] next = new int[64];
  private long[] heap = new long[64];

  private BpeTokenizer.IntSink out;

  WordEncoder(BpeTokenizer.Tables model) {
    this.model = model;
  }

  void encode(byte[] buf, int off, int len, BpeTokenizer.IntSink sink) {
    if (out != null) { // a sink that encodes again on this thread: do not clobber our state
      new WordEncoder(model).encode(buf, off, len, sink);
      return;
    }
    out = sink;
    try {
      preTokenizer.forEachWord(buf, off, len, this);
    } finally {
      out = null;
    }
  }

  @Override
  public void accept(byte[] b, int s, int e) {
    int n = e - s;
    if (n == 1) {
      out.add(model.byteToId[b[s] & 0xFF]);
      return;
    }
    if (n > MAX_CACHED_WORD) {
      emit(mergeWord(b, s, e, n > SMALL_WORD));
      return;
    }
    int h = hash(b, s, e);
    int mask = CACHE_SLOTS - 1;
    int i = h & mask;
    for (byte[] k; (k = cacheKeys[i]) != null; i = (i + 1) & mask) {
      if (cacheHashes[i] == h && Arrays.equals(k, 0, k.length, b, s, e)) {
        emit(cacheIds[i]);
        return;
      }
    }
    int[] ids = mergeWord(b, s, e, n > SMALL_WORD);
    if (cacheSize >= CACHE_MAX_ENTRIES) {
      Arrays.fill(cacheKeys, null);
      Arrays.fill(cacheIds, null);
      cacheSize = 0;
      i = h & mask;
    }
    cacheKeys[i] = Arrays.copyOfRange(b, s, e);
    cacheIds[i] = ids;
    cacheHashes[i] = h;
    cacheSize++;
    emit(ids);
  }

  private void emit(int[] ids) {
    for (int id : ids) {
      out.add(id);
    }
  }

  private static int hash(byte[] b, int s, int e) {
    int h = 0x811C9DC5;
    for (int i = s; i < e; i++) {
      h = (h ^ b[i]) * 0x01000193;
    }
    return h ^ (h >>> 15);
  }

  /** The ids of one word: byte tokens merged by rank, as HF's BPE.merge_word does. */
  int[] mergeWord(byte[] b, int s, int e, boolean useHeap) {
    if (model.wholeWords != null) { // ignore_merges: a word that is a token is that token
      Integer id = model.wholeWords.get(new WordBytes(b, s, e));
      if (id != null) {
        return new int[] {id};
      }
    }
    int n = e - s;
    if (n == 0) {
      return new int[0];
    }
    if (sym.length < n) {
      int cap = Integer.highestOneBit(n) << 1;
      sym = new int[cap];
      aux = new int[cap];
      next = new int[cap];
    }
    for (int i = 0; i < n; i++) {
      sym[i] = model.byteToId[b[s + i] & 0xFF];
    }
    return useHeap ? mergeByHeap(n) : mergeByScan(n);
  }

  private int rank(int left, int right) {
    return model.rankOf.get(LongIntMap.pair(left, right), NONE);
  }

  /**
   * Repeatedly merges the lowest-rank pair, leftmost first. The same choice as HF's heap of
   * (rank, position), but for short words a scan of a rank array beats heap bookkeeping.
   */
  private int[] mergeByScan(int n) {
    int[] r = aux; // r[i] = rank of (sym[i], sym[i+1])
    for (int i = 0; i + 1 < n; i++) {
      r[i] = rank(sym[i], sym[i + 1]);
    }
    while (n > 1) {
      int best = NONE;
      int at = -1;
      for (int i = 0; i + 1 < n; i++) {
        if (r[i] < best) {
          best = r[i];
          at = i;
        }
      }
      if (at < 0) {
        break;
      }
      sym[at] = model.mergeResult[best];
      System.arraycopy(sym, at + 2, sym, at + 1, n - at - 2);
      if (n - at - 3 > 0) {
        System.arraycopy(r, at + 2, r, at + 1, n - at - 3);
      }
      n--;
      if (at > 0) {
        r[at - 1] = rank(sym[at - 1], sym[at]);
      }
      if (at + 1 < n) {
        r[at] = rank(sym[at], sym[at + 1]);
      }
    }
    return Arrays.copyOf(sym, n);
  }

  /**
   * HF's algorithm for long words: a min-heap of (rank, position) over a linked list of
   * symbols, skipping entries that merges have made stale. O(n log n) where the scan is O(n^2).
   */
  private int[] mergeByHeap(int n) {
    int[] prev = aux;
    int heapSize = 0;
    for (int i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    for (int i = 0; i + 1 < n; i++) {
      int r = rank(sym[i], sym[i + 1]);
      if (r != NONE) {
        heapSize = push(heapSize, ((long) r << 32) | i);
      }
    }
    int count = n;
    while (heapSize > 0) {
      long top = heap[0];
      heapSize = pop(heapSize);
      int r = (int) (top >>> 32);
      int i = (int) top;
      int j;
      if (sym[i] < 0 || (j = next[i]) < 0 || rank(sym[i], sym[j]) != r) {
        continue; // stale: a symbol of this pair was merged away since it was pushed
      }
      sym[i] = model.mergeResult[r];
      sym[j] = -1;
      count--;
      int k = next[j];
      next[i] = k;
      if (k >= 0) {
        prev[k] = i;
        int rr = rank(sym[i], sym[k]);
        if (rr != NONE) {
          heapSize = push(heapSize, ((long) rr << 32) | i);
        }
      }
      int p = prev[i];
      if (p >= 0) {
        int rr = rank(sym[p], sym[i]);
        if (rr != NONE) {
          heapSize = push(heapSize, ((long) rr << 32) | p);
        }
      }
    }
    int[] ids = new int[count];
    for (int i = 0, o = 0; i >= 0; i = next[i]) {
      ids[o++] = sym[i];
    }
    return ids;
  }

  private int push(int size, long v) {
    if (size == heap.length) {
      heap = Arrays.copyOf(heap, size * 2);
    }
    int i = size;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (heap[parent] <= v) {
        break;
      }
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = v;
    return size + 1;
  }

  private int pop(int size) {
    long last = heap[--size];
    int i = 0;
    while (true) {
      int c = 2 * i + 1;
      if (c >= size) {
        break;
      }
      if (c + 1 < size && heap[c + 1] < heap[c]) {
        c++;
      }
      if (last <= heap[c]) {
        break;
      }
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = last;
    return size;
  }
}
