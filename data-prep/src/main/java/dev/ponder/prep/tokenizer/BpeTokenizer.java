package dev.ponder.prep.tokenizer;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * A byte-level BPE tokenizer with the semantics of Hugging Face {@code tokenizers}: the GPT-2
 * pre-tokenizer ({@link PreTokenizer}), then within each word the merges applied lowest rank
 * first (leftmost on ties), then ids. {@link #toJson} writes the tokenizer.json that the Python and
 * Rust library load and that encodes valid UTF-8 text to the same ids.
 *
 * <p>Token ids: a token is a byte string; in tokenizers this package makes (the trainer and
 * {@link #byteLevel}) ids 0..255 are the single bytes and merge results follow in merge order, so
 * the byte tokenizer is this class with no merges. Files read by {@link #fromJson} may number
 * their tokens differently (GPT-2 does); nothing here assumes id == byte.
 *
 * <p>Thread safety and Spark: instances are immutable and Serializable (a broadcast value is shared
 * by all task threads of an executor). The word cache that makes encoding fast is mutable, so it
 * lives in a per-instance ThreadLocal inside transient state that is rebuilt on first use after
 * deserialization (Java or Kryo); there is no static mutable state.
 *
 * <p>Added tokens of a loaded file are kept and written back but not split out of the text when
 * encoding (HF would encode "&lt;|endoftext|&gt;" in text as that one token; we encode its bytes).
 */
public final class BpeTokenizer implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Receives token ids in order. */
  @FunctionalInterface
  public interface IntSink {
    void add(int v);
  }

  private final byte[][] tokens; // id -> bytes
  private final int[] mergeLeft; // by rank
  private final int[] mergeRight;
  private final int[] mergeResult;
  private final boolean ignoreMerges;
  private final String addedTokensJson; // the "added_tokens" array, kept for toJson

  private transient volatile Compiled compiled;

  BpeTokenizer(byte[][] tokens, int[] mergeLeft, int[] mergeRight, int[] mergeResult,
      boolean ignoreMerges, String addedTokensJson) {
    this.tokens = tokens;
    this.mergeLeft = mergeLeft;
    this.mergeRight = mergeRight;
    this.mergeResult = mergeResult;
    this.ignoreMerges = ignoreMerges;
    this.addedTokensJson = Objects.requireNonNull(addedTokensJson);
    this.compiled = new Compiled(this); // validates
  }

  /** The pure byte tokenizer: 256 tokens, no merges, token id == byte value. */
  public static BpeTokenizer byteLevel() {
    byte[][] tokens = new byte[256][];
    for (int b = 0; b < 256; b++) {
      tokens[b] = new byte[] {(byte) b};
    }
    return new BpeTokenizer(tokens, new int[0], new int[0], new int[0], false, "[]");
  }

  /** Number of token ids (ids are 0..vocabSize-1). */
  public int vocabSize() {
    return tokens.length;
  }

  /** Number of merges (ranks 0..mergeCount-1). */
  public int mergeCount() {
    return mergeLeft.length;
  }

  /** A copy of the bytes of token {@code id}. */
  public byte[] tokenBytes(int id) {
    checkId(id);
    return tokens[id].clone();
  }

  /** Encodes {@code buf[off, off+len)} (any bytes, valid UTF-8 or not), adding ids to {@code out}. */
  public void encode(byte[] buf, int off, int len, IntSink out) {
    Objects.checkFromIndexSize(off, len, buf.length);
    compiled().encoders.get().encode(buf, off, len, out);
  }

  /** Encodes all of {@code bytes}. */
  public int[] encode(byte[] bytes) {
    IntList ids = new IntList(bytes.length / 3 + 8);
    encode(bytes, 0, bytes.length, ids);
    return ids.toArray();
  }

  /** The bytes of {@code ids[off, off+len)} concatenated; decode(encode(x)) == x for any x. */
  public byte[] decode(int[] ids, int off, int len) {
    Objects.checkFromIndexSize(off, len, ids.length);
    int n = 0;
    for (int i = off; i < off + len; i++) {
      checkId(ids[i]);
      n += tokens[ids[i]].length;
    }
    byte[] out = new byte[n];
    int p = 0;
    for (int i = off; i < off + len; i++) {
      byte[] t = tokens[ids[i]];
      System.arraycopy(t, 0, out, p, t.length);
      p += t.length;
    }
    return out;
  }

  /** The Hugging Face tokenizer.json text (deterministic: same tokenizer, same text). */
  public String toJson() {
    return TokenizerJson.write(this);
  }

  /**
   * Reads a tokenizer.json: ours, or a Hugging Face byte-level BPE file (GPT-2 style: no
   * normalizer, ByteLevel pre-tokenizer without prefix space, BPE model without dropout).
   *
   * @throws IllegalArgumentException naming what is missing or unsupported
   */
  public static BpeTokenizer fromJson(String json) {
    return TokenizerJson.read(json);
  }

  /** Hex SHA-256 of {@link #toJson()}'s UTF-8 bytes: the "tokenizer hash" in shard manifests. */
  public String sha256() {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256")
          .digest(toJson().getBytes(StandardCharsets.UTF_8));
      StringBuilder sb = new StringBuilder(64);
      for (byte b : d) {
        sb.append(Character.forDigit((b >> 4) & 15, 16)).append(Character.forDigit(b & 15, 16));
      }
      return sb.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  @Override
  public String toString() {
    return "BpeTokenizer{vocab=" + tokens.length + ", merges=" + mergeLeft.length + "}";
  }

  // ---- package-private views for TokenizerJson, the trainer and tests ----

  byte[] token(int id) {
    return tokens[id];
  }

  int mergeLeft(int rank) {
    return mergeLeft[rank];
  }

  int mergeRight(int rank) {
    return mergeRight[rank];
  }

  boolean ignoreMerges() {
    return ignoreMerges;
  }

  String addedTokensJson() {
    return addedTokensJson;
  }

  /** Merges one word with the small (scan) or large (heap) algorithm, for cross-checking. */
  int[] mergeWordForTest(byte[] word, boolean heap) {
    return new WordEncoder(compiled().tables).mergeWord(word, 0, word.length, heap);
  }

  private void checkId(int id) {
    if (id < 0 || id >= tokens.length) {
      throw new IllegalArgumentException(
          "token id " + id + " is outside the vocabulary [0, " + tokens.length + ")");
    }
  }

  private Compiled compiled() {
    Compiled c = compiled;
    if (c == null) { // after deserialization; a race only builds an identical copy
      c = new Compiled(this);
      compiled = c;
    }
    return c;
  }

  /** Lookup structures derived from the fields; never serialized. */
  static final class Compiled {
    final Tables tables;
    /**
     * One encoder (and word cache) per thread. The encoders reference only {@link Tables}, not
     * this ThreadLocal, so once the tokenizer is unreachable its caches can be collected even
     * from the long-lived task threads of a Spark executor.
     */
    final ThreadLocal<WordEncoder> encoders;

    Compiled(BpeTokenizer t) {
      Tables tables = new Tables(t);
      this.tables = tables;
      this.encoders = ThreadLocal.withInitial(() -> new WordEncoder(tables));
    }
  }

  /** What encoding looks up: byte -> id, pair -> rank, rank -> id. */
  static final class Tables {
    final int[] byteToId = new int[256];
    final LongIntMap rankOf; // (left, right) -> rank
    final int[] mergeResult;
    final java.util.Map<WordBytes, Integer> wholeWords; // only with ignore_merges

    Tables(BpeTokenizer t) {
      java.util.Arrays.fill(byteToId, -1);
      for (int id = 0; id < t.tokens.length; id++) {
        if (t.tokens[id].length == 1 && byteToId[t.tokens[id][0] & 0xFF] < 0) {
          byteToId[t.tokens[id][0] & 0xFF] = id;
        }
      }
      for (int b = 0; b < 256; b++) {
        if (byteToId[b] < 0) {
          throw new IllegalArgumentException(String.format(
              "the vocabulary has no token for byte 0x%02X; byte-level BPE needs all 256", b));
        }
      }
      int n = t.mergeLeft.length;
      if (t.mergeRight.length != n || t.mergeResult.length != n) {
        throw new IllegalArgumentException("merge arrays differ in length");
      }
      rankOf = new LongIntMap(n);
      for (int r = 0; r < n; r++) {
        int a = t.mergeLeft[r];
        int b = t.mergeRight[r];
        int c = t.mergeResult[r];
        t.checkId(a);
        t.checkId(b);
        t.checkId(c);
        rankOf.put(LongIntMap.pair(a, b), r); // a repeated pair keeps its last rank, as in HF
      }
      mergeResult = t.mergeResult;
      if (t.ignoreMerges) {
        wholeWords = new java.util.HashMap<>();
        for (int id = t.tokens.length - 1; id >= 0; id--) {
          wholeWords.put(new WordBytes(t.tokens[id]), id);
        }
      } else {
        wholeWords = null;
      }
    }
  }
}
