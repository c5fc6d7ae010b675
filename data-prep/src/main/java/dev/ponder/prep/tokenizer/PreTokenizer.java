package dev.ponder.prep.tokenizer;

import java.io.Serializable;
import java.util.Objects;

/**
 * Splits raw bytes into the words that byte-level BPE merges within: the GPT-2 regex of Hugging
 * Face's ByteLevel pre-tokenizer (add_prefix_space=false, use_regex=true),
 * {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}.
 *
 * <p>The input is bytes, not text, because a corpus may hold invalid UTF-8 and every byte must
 * survive a round trip. The bytes are cut into maximal valid UTF-8 runs; each run is split exactly
 * as the regex splits that text (an invalid byte is a hard boundary, like the end of the text), and
 * each invalid byte is a word of its own. Valid UTF-8 input therefore splits exactly as in HF.
 *
 * <p>A hand-written scanner rather than java.util.regex: it is several times faster, works on the
 * bytes without decoding to a String, and its Unicode classes are pinned ({@link CharClass}).
 * Stateless, so one instance may be shared by threads and shipped to Spark executors.
 */
public final class PreTokenizer implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Receives each word as a range of the caller's buffer; copy it if it must outlive the call. */
  @FunctionalInterface
  public interface WordSink {
    void accept(byte[] buf, int start, int end);
  }

  /** Class of each ASCII byte (immutable after class init). */
  private static final byte[] ASCII = new byte[128];

  static {
    for (int c = 0; c < 128; c++) {
      ASCII[c] = (byte) CharClass.of(c);
    }
  }

  /** Calls {@code sink} with each word of {@code buf[off, off+len)}, in order, covering every byte. */
  public void forEachWord(byte[] buf, int off, int len, WordSink sink) {
    Objects.checkFromIndexSize(off, len, buf.length);
    int end = off + len;
    int p = off;
    while (p < end) {
      int q = validEnd(buf, p, end);
      if (q == p) {
        sink.accept(buf, p, p + 1); // an invalid byte: its own word, encoded as a byte token
        p++;
      } else {
        scan(buf, p, q, sink);
        p = q;
      }
    }
  }

  /** The regex over one valid UTF-8 run; alternatives are tried in the regex's order. */
  private static void scan(byte[] b, int s, int e, WordSink sink) {
    int i = s;
    while (i < e) {
      byte x = b[i];
      int j;
      if (x == '\'' && (j = contraction(b, i, e)) > 0) {
        sink.accept(b, i, j);
        i = j;
        continue;
      }
      if (x == ' ' && i + 1 < e) { // the optional leading space of ' ?\p{L}+' and its siblings
        int next = classAt(b, i + 1);
        if (next != CharClass.SPACE) {
          j = runEnd(b, i + 1, e, next);
          sink.accept(b, i, j);
          i = j;
          continue;
        }
      }
      int c = classAt(b, i);
      if (c != CharClass.SPACE) {
        j = runEnd(b, i, e, c);
        sink.accept(b, i, j);
        i = j;
        continue;
      }
      // White space. '\s+(?!\S)' backtracks to leave the run's last character for the next
      // word (where a ' ' becomes its prefix), unless the run ends the text; a run of one
      // character before a non-space falls through to '\s+'.
      int last = i;
      j = i;
      while (j < e && classAt(b, j) == CharClass.SPACE) {
        last = j;
        j += lengthOf(b[j]);
      }
      if (j < e && last > i) {
        j = last;
      }
      sink.accept(b, i, j);
      i = j;
    }
  }

  /** End of the contraction ('s 't 're 've 'm 'll 'd, lowercase only) at i, or 0. */
  private static int contraction(byte[] b, int i, int e) {
    if (i + 1 >= e) {
      return 0;
    }
    byte c1 = b[i + 1];
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
      return i + 2;
    }
    if (i + 2 >= e) {
      return 0;
    }
    byte c2 = b[i + 2];
    if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
      return i + 3;
    }
    return 0;
  }

  /** End of the run of characters of class {@code cls} starting at i. */
  private static int runEnd(byte[] b, int i, int e, int cls) {
    while (i < e) {
      byte x = b[i];
      if (x >= 0) {
        if (ASCII[x] != cls) {
          break;
        }
        i++;
      } else {
        if (CharClass.of(decode(b, i)) != cls) {
          break;
        }
        i += lengthOf(x);
      }
    }
    return i;
  }

  private static int classAt(byte[] b, int i) {
    byte x = b[i];
    return x >= 0 ? ASCII[x] : CharClass.of(decode(b, i));
  }

  /** Length of the sequence whose (valid) lead byte is x. */
  private static int lengthOf(byte x) {
    int b0 = x & 0xFF;
    return b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
  }

  /** The code point of the valid sequence at p. */
  private static int decode(byte[] b, int p) {
    int b0 = b[p] & 0xFF;
    if (b0 < 0x80) {
      return b0;
    }
    if (b0 < 0xE0) {
      return ((b0 & 0x1F) << 6) | (b[p + 1] & 0x3F);
    }
    if (b0 < 0xF0) {
      return ((b0 & 0x0F) << 12) | ((b[p + 1] & 0x3F) << 6) | (b[p + 2] & 0x3F);
    }
    return ((b0 & 0x07) << 18) | ((b[p + 1] & 0x3F) << 12) | ((b[p + 2] & 0x3F) << 6)
        | (b[p + 3] & 0x3F);
  }

  /** End of the longest valid UTF-8 prefix of b[p, end). */
  static int validEnd(byte[] b, int p, int end) {
    while (p < end) {
      if (b[p] >= 0) {
        p++;
        continue;
      }
      int n = sequenceLength(b, p, end);
      if (n == 0) {
        return p;
      }
      p += n;
    }
    return p;
  }

  /**
   * Length of the valid multi-byte sequence at p, or 0: the rules of Rust's str (which HF's
   * strings obey), so no overlong forms, no surrogates, nothing above U+10FFFF.
   */
  private static int sequenceLength(byte[] b, int p, int end) {
    int b0 = b[p] & 0xFF;
    if (b0 < 0xC2) {
      return 0; // a continuation byte, or C0/C1 which could only start an overlong form
    }
    if (b0 < 0xE0) {
      return p + 1 < end && isCont(b[p + 1]) ? 2 : 0;
    }
    if (b0 < 0xF0) {
      if (p + 2 >= end) {
        return 0;
      }
      int b1 = b[p + 1] & 0xFF;
      int lo = b0 == 0xE0 ? 0xA0 : 0x80;
      int hi = b0 == 0xED ? 0x9F : 0xBF;
      return b1 >= lo && b1 <= hi && isCont(b[p + 2]) ? 3 : 0;
    }
    if (b0 < 0xF5) {
      if (p + 3 >= end) {
        return 0;
      }
      int b1 = b[p + 1] & 0xFF;
      int lo = b0 == 0xF0 ? 0x90 : 0x80;
      int hi = b0 == 0xF4 ? 0x8F : 0xBF;
      return b1 >= lo && b1 <= hi && isCont(b[p + 2]) && isCont(b[p + 3]) ? 4 : 0;
    }
    return 0;
  }

  private static boolean isCont(byte x) {
    return (x & 0xC0) == 0x80;
  }
}
