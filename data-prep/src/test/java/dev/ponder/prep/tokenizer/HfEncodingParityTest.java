package dev.ponder.prep.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our tokenizer.json, loaded by the Hugging Face library (Rust tokenizers through DJL), must
 * encode every text exactly as our encoder does. The unit of comparison is one Europarl line
 * plus its '\n' (the way the prep job feeds lines), over the whole sample: 17,597 lines, 21 MB,
 * many scripts (Latin, Greek, Cyrillic), so the trained merges cover far more than ASCII.
 */
class HfEncodingParityTest {
  @TempDir Path dir;

  @Test
  void trainedBpeEncodesEveryEuroparlLineLikeHuggingFace() throws Exception {
    BpeTokenizer ours = Samples.europarl8192();
    assertEquals(8192, ours.vocabSize());
    List<byte[]> lines = Samples.europarlLines();
    long bytes = 0;
    long tokens = 0;
    long oursNanos = 0;
    long hfNanos = 0;
    try (HuggingFaceTokenizer hf = Samples.loadInHf(ours.toJson(), dir)) {
      for (int i = 0; i < lines.size(); i++) {
        byte[] unit = Samples.withNewline(lines.get(i));
        String text = new String(unit, StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        int[] got = ours.encode(unit);
        long t1 = System.nanoTime();
        int[] want = Samples.toInts(hf.encode(text, false, false).getIds());
        long t2 = System.nanoTime();
        oursNanos += t1 - t0;
        hfNanos += t2 - t1;
        int line = i;
        assertArrayEquals(want, got, () -> "line " + line + ": " + text);
        bytes += unit.length;
        tokens += got.length;
      }
    }
    double tokensPerByte = (double) tokens / bytes;
    System.out.printf("europarl, vocab 8192: %d bytes -> %d tokens, %.3f tokens/byte;"
        + " first-pass encode (cold JIT and cache) %.1f MB/s ours vs %.1f MB/s HF via DJL%n",
        bytes, tokens, tokensPerByte, bytes / (oursNanos / 1e3), bytes / (hfNanos / 1e3));
    assertTrue(tokensPerByte < 0.35, "tokens/byte " + tokensPerByte);
  }

  /** Odd text: space runs, contractions, mixed scripts, and words long enough for the heap path. */
  @Test
  void trainedBpeEncodesRandomTextLikeHuggingFace() throws Exception {
    BpeTokenizer ours = Samples.europarl8192();
    String[] pieces = {" ", "  ", "\n", "\t", "\u00A0", "'s", "'LL", "'", "the", " the", "Parlament",
        "ment", "ung", "ation", "1999", "²", "!", "...", "é", "ß", "Ελλάδα", "ουσ", "中文", "😀",
        "\u0301", "\u001F", "\r\n"};
    java.util.Random rnd = new java.util.Random(13);
    try (HuggingFaceTokenizer hf = Samples.loadInHf(ours.toJson(), dir)) {
      for (int round = 0; round < 300; round++) {
        StringBuilder sb = new StringBuilder();
        int n = rnd.nextInt(200);
        for (int i = 0; i < n; i++) {
          sb.append(pieces[rnd.nextInt(pieces.length)]);
        }
        if (round % 10 == 0) { // one long word: merged by the heap, not the scan
          for (int i = 0; i < 100; i++) {
            sb.append(pieces[8 + rnd.nextInt(6)].trim()); // letters only
          }
        }
        String text = sb.toString();
        int[] want = Samples.toInts(hf.encode(text, false, false).getIds());
        assertArrayEquals(want, ours.encode(text.getBytes(StandardCharsets.UTF_8)), text);
      }
    }
  }

  @Test
  void byteTokenizerEncodesLikeHuggingFace() throws Exception {
    BpeTokenizer bytes = BpeTokenizer.byteLevel();
    List<byte[]> lines = Samples.europarlLines();
    try (HuggingFaceTokenizer hf = Samples.loadInHf(bytes.toJson(), dir)) {
      for (int i = 0; i < lines.size(); i += 20) {
        byte[] unit = Samples.withNewline(lines.get(i));
        int[] got = bytes.encode(unit);
        int[] want = Samples.toInts(
            hf.encode(new String(unit, StandardCharsets.UTF_8), false, false).getIds());
        assertArrayEquals(want, got);
        for (int j = 0; j < unit.length; j++) {
          assertEquals(unit[j] & 0xFF, got[j], "id == byte");
        }
      }
    }
  }
}
