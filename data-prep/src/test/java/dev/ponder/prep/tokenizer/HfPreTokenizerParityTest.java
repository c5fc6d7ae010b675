package dev.ponder.prep.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Word boundaries must be those of HF's ByteLevel pre-tokenizer. With the byte tokenizer every
 * token is one byte and HF reports the word index of each token, so both sides' splits of a text
 * can be compared byte by byte. Every code point of planes 0-3 and 14 (all assigned ones up to
 * Unicode 16 live there) is probed in the contexts "a" c "1" c "!" c "\n", where each of the four
 * classes (letter, number, space, other) splits differently, so any class disagreement shows.
 */
class HfPreTokenizerParityTest {
  @TempDir static Path dir;
  private static HuggingFaceTokenizer hf;

  @BeforeAll
  static void load() throws Exception {
    hf = Samples.loadInHf(BpeTokenizer.byteLevel().toJson(), dir);
  }

  @AfterAll
  static void close() {
    hf.close();
  }

  @Test
  void everyCodePointIsClassifiedAsInHuggingFace() {
    int[][] planes = {{0, 0x40000}, {0xE0000, 0xF0000}};
    for (int[] range : planes) {
      for (int from = range[0]; from < range[1]; from += 0x4000) {
        StringBuilder sb = new StringBuilder();
        for (int cp = from; cp < from + 0x4000; cp++) {
          if (cp >= 0xD800 && cp <= 0xDFFF) {
            continue; // surrogates are not text
          }
          String c = new String(Character.toChars(cp));
          sb.append('a').append(c).append('1').append(c).append('!').append(c).append('\n');
        }
        assertSameSplit(sb.toString(), String.format("code points U+%04X..", from));
      }
    }
  }

  @Test
  void randomMixturesOfTrickyCharactersSplitAsInHuggingFace() {
    String[] alphabet = {" ", " ", "  ", "\n", "\t", "\r\n", "\u00A0", "\u3000", "\u0085",
        "\u001F", "'", "'", "s", "t", "re", "ve", "m", "ll", "d", "S", "T", "a", "Z", "1", "²",
        "Ⅻ", "!", ".", "-", "é", "ß", "中", "😀", "\u0301", "𝔸", "٣", "\u200B", "\u2028"};
    Random rnd = new Random(11);
    for (int round = 0; round < 40; round++) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 5000; i++) {
        sb.append(alphabet[rnd.nextInt(alphabet.length)]);
      }
      assertSameSplit(sb.toString(), "random round " + round);
    }
  }

  /** Compares the word index of every byte of text. */
  private static void assertSameSplit(String text, String what) {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    long[] want = hf.encode(text, false, false).getWordIds();
    assertEquals(utf8.length, want.length, what + ": one token per byte");
    int[] word = {0};
    long[] got = new long[utf8.length];
    new PreTokenizer().forEachWord(utf8, 0, utf8.length, (b, s, e) -> {
      for (int i = s; i < e; i++) {
        got[i] = word[0];
      }
      word[0]++;
    });
    for (int i = 0; i < utf8.length; i++) {
      if (got[i] != want[i]) {
        int from = Math.max(0, i - 24);
        String context = new String(utf8, from, Math.min(utf8.length, i + 24) - from,
            StandardCharsets.UTF_8);
        fail(what + ": first different word boundary at byte " + i + " near "
            + context.codePoints().mapToObj(cp -> String.format("U+%04X", cp)).toList());
      }
    }
  }
}
