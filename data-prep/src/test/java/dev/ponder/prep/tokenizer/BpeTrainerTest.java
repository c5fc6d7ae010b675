package dev.ponder.prep.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {
  private static Map<WordBytes, Long> counts(Object... wordsAndCounts) {
    Map<WordBytes, Long> m = new LinkedHashMap<>();
    for (int i = 0; i < wordsAndCounts.length; i += 2) {
      m.put(WordBytes.of((String) wordsAndCounts[i]), ((Number) wordsAndCounts[i + 1]).longValue());
    }
    return m;
  }

  private static String token(BpeTokenizer t, int id) {
    return new String(t.tokenBytes(id), StandardCharsets.UTF_8);
  }

  @Test
  void firstMergesOfAHandCheckableCorpus() {
    // Pairs: u g = 10+5+5 = 20, p u = 17, u n = 16, h u = 15, g s = 5, b u = 4.
    // After "ug": u n = 16 beats h ug = 15 and p u = 12; then h ug = 15 -> "hug".
    BpeTokenizer t = BpeTrainer.train(counts("hug", 10, "pug", 5, "pun", 12, "bun", 4,
        "hugs", 5), 259);
    assertEquals(259, t.vocabSize());
    assertEquals(List.of("ug", "un", "hug"), List.of(token(t, 256), token(t, 257), token(t, 258)));
    assertEquals('u', t.mergeLeft(0));
    assertEquals('g', t.mergeRight(0));
    assertEquals('h', t.mergeLeft(2));
    assertEquals(256, t.mergeRight(2));
    assertArrayEquals(new int[] {258, 's'}, t.encode("hugs".getBytes(StandardCharsets.UTF_8)));
    assertArrayEquals(new int[] {'p', 257}, t.encode("pun".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void tiesGoToTheSmallerPairOfIds() {
    BpeTokenizer t = BpeTrainer.train(counts("cd", 3, "ab", 3, "ef", 3), 1000);
    assertEquals(List.of("ab", "cd", "ef"), List.of(token(t, 256), token(t, 257), token(t, 258)));
    assertEquals(259, t.vocabSize(), "stops when no pair is left");
  }

  @Test
  void overlappingPairsMergeLeftToRight() {
    // "aaaaa": (a, a) occurs 4 times -> [aa aa a]. Then (aa, aa) and (aa, a) occur once each;
    // the tie goes to the smaller ids, (256, 97) < (256, 256), so "aaa" comes next.
    BpeTokenizer t = BpeTrainer.train(counts("aaaaa", 1), 258);
    assertEquals("aa", token(t, 256));
    assertEquals("aaa", token(t, 257));
    assertArrayEquals(new int[] {256, 257},
        t.encode("aaaaa".getBytes(StandardCharsets.UTF_8)), "aa aa a -> aa aaa");
  }

  @Test
  void trainingIsAFunctionOfTheCountsAlone() {
    List<byte[]> lines = Samples.europarlLines().subList(0, 1500);
    Map<WordBytes, Long> counts = Samples.countWords(lines);
    List<Map.Entry<WordBytes, Long>> entries = new ArrayList<>(counts.entrySet());
    Collections.shuffle(entries, new java.util.Random(1));
    Map<WordBytes, Long> shuffled = new HashMap<>();
    for (Map.Entry<WordBytes, Long> e : entries) {
      shuffled.put(e.getKey(), e.getValue());
    }
    BpeTokenizer a = BpeTrainer.train(counts, 2000);
    BpeTokenizer b = BpeTrainer.train(new TreeMap<>(shuffled), 2000);
    assertEquals(2000, a.vocabSize(), "the corpus has far more than 2000 possible tokens");
    assertEquals(a.toJson(), b.toJson());
    assertEquals(a.sha256(), b.sha256());
    assertEquals(64, a.sha256().length());
  }

  @Test
  void vocab256IsTheByteTokenizer() {
    BpeTokenizer t = BpeTrainer.train(counts("hello", 5), 256);
    assertEquals(BpeTokenizer.byteLevel().toJson(), t.toJson());
  }

  @Test
  void rejectsAVocabularySmallerThanTheBytes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BpeTrainer.train(counts("ab", 1), 255));
    assertTrue(e.getMessage().contains("255"), e.getMessage());
  }

  @Test
  void invalidUtf8WordsTrainAndEncode() {
    Map<WordBytes, Long> m = new HashMap<>();
    m.put(new WordBytes(new byte[] {(byte) 0xFF}), 50L);
    m.put(new WordBytes(new byte[] {'a', 'b'}), 2L);
    BpeTokenizer t = BpeTrainer.train(m, 300);
    assertEquals(257, t.vocabSize(), "a one-byte word has no pairs");
    byte[] x = {'a', 'b', (byte) 0xFF, (byte) 0xFF};
    assertArrayEquals(new int[] {256, 255, 255}, t.encode(x));
  }

  @Test
  void trainsTheFullSampleQuickly() {
    long t0 = System.nanoTime();
    BpeTokenizer t = Samples.europarl8192();
    assertEquals(8192, t.vocabSize());
    assertEquals(8192 - 256, t.mergeCount(), "no merge repeated an existing token");
    assertTrue((System.nanoTime() - t0) / 1e9 < 60, "training (when not cached) is seconds");
  }
}
