package dev.ponder.prep.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Hand-checked splits of the GPT-2 regex, and the handling of invalid UTF-8. */
class PreTokenizerTest {
  private static List<String> words(byte[] b) {
    List<String> out = new ArrayList<>();
    new PreTokenizer().forEachWord(b, 0, b.length,
        (buf, s, e) -> out.add(new String(buf, s, e - s, StandardCharsets.ISO_8859_1)));
    return out;
  }

  private static List<String> words(String s) {
    List<String> out = new ArrayList<>();
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    new PreTokenizer().forEachWord(b, 0, b.length,
        (buf, st, e) -> out.add(new String(buf, st, e - st, StandardCharsets.UTF_8)));
    return out;
  }

  @Test
  void spacesJoinTheFollowingWordAndRunsKeepTheirLastSpaceForIt() {
    assertEquals(List.of("Hello", " world", "'s", " ", " test", "\n\n", " x"),
        words("Hello world's  test\n\n x"));
    assertEquals(List.of("ab", "  "), words("ab  "), "a run that ends the text stays whole");
    assertEquals(List.of("ab", "  \n"), words("ab  \n"));
    assertEquals(List.of("a", "\n", "b"), words("a\nb"), "one non-space char before a word");
    assertEquals(List.of("a", "\t", " b"), words("a\t b"));
    assertEquals(List.of(" ", "\u00A0", "x"), words(" \u00A0x"), "NBSP is \\s, but not ' '");
  }

  @Test
  void contractionsAreLowercaseOnlyAndNeverFollowASpace() {
    assertEquals(List.of("don", "'t"), words("don't"));
    assertEquals(List.of("we", "'ll", "'ve"), words("we'll've"));
    assertEquals(List.of("I", "'", "M"), words("I'M"));
    assertEquals(List.of("'s", "am"), words("'sam"));
    assertEquals(List.of(" '", "s"), words(" 's"));
    assertEquals(List.of("'''", "s"), words("'''s"), "punctuation runs are greedy");
    assertEquals(List.of("x", "'"), words("x'"));
  }

  @Test
  void lettersNumbersAndPunctuationSplit() {
    assertEquals(List.of("abc", "123", "def", " 42", "!?", " ..."), words("abc123def 42!? ..."));
    assertEquals(List.of("Ελλάδα", " ²³", " 中文", "😀"), words("Ελλάδα ²³ 中文😀"));
    assertEquals(List.of("e", "\u0301"), words("e\u0301"), "combining marks are not \\p{L}");
    assertEquals(List.of("\u001F"), words("\u001F"), "U+001F is not white space in HF");
  }

  @Test
  void invalidBytesAreWordsOfTheirOwnAndBoundaries() {
    byte[] b = {'a', (byte) 0xFF, 'b', ' ', (byte) 0xE2, (byte) 0x82, ' ', 'c', (byte) 0x80};
    assertEquals(List.of("a", "\u00FF", "b", " ", "\u00E2", "\u0082", " c", "\u0080"), words(b));
    byte[] overlong = {(byte) 0xC0, (byte) 0xAF, (byte) 0xED, (byte) 0xA0, (byte) 0x80};
    assertEquals(5, words(overlong).size(), "overlong forms and surrogates are invalid");
    byte[] euro = {(byte) 0xE2, (byte) 0x82, (byte) 0xAC, 'x'};
    assertEquals(List.of("\u00E2\u0082\u00AC", "x"), words(euro), "valid multi-byte kept whole");
  }

  @Test
  void wordsCoverEveryByteOfRandomInputInOrder() {
    Random rnd = new Random(7);
    for (int round = 0; round < 2000; round++) {
      byte[] b = RoundTripTest.randomBytes(rnd, rnd.nextInt(200));
      java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
      int[] prevEnd = {0};
      new PreTokenizer().forEachWord(b, 0, b.length, (buf, s, e) -> {
        assertEquals(prevEnd[0], s, "contiguous");
        assertEquals(true, e > s, "non-empty");
        prevEnd[0] = e;
        joined.write(buf, s, e - s);
      });
      assertArrayEquals(b, joined.toByteArray());
    }
  }

  @Test
  void honoursOffsetAndLength() {
    byte[] b = "xx ab cd yy".getBytes(StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    new PreTokenizer().forEachWord(b, 3, 5, (buf, s, e) -> out.add(new String(buf, s, e - s,
        StandardCharsets.UTF_8)));
    assertEquals(List.of("ab", " cd"), out);
  }
}
