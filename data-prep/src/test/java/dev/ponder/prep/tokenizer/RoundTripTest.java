package dev.ponder.prep.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** decode(encode(x)) == x for any bytes, and the two merge algorithms agree. */
class RoundTripTest {
  /** Pieces that random inputs are made of: text, broken UTF-8, raw bytes. */
  private static final byte[][] PIECES = {
      utf8("the "), utf8("Parliament's "), utf8("  "), utf8("\n"), utf8("1999"), utf8("é"),
      utf8("中文"), utf8("😀"), utf8("👩‍👩‍👧"), utf8("Ελλάδα"), utf8("'ll"), utf8("\t"),
      {(byte) 0x80}, {(byte) 0xBF}, {(byte) 0xFF}, {(byte) 0xC0, (byte) 0xAF}, // lone/overlong
      {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}, // truncated
      {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, 0x41},
      {0}, {(byte) 0xC3}};

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Random bytes: a mix of text pieces, broken sequences and uniformly random bytes. */
  static byte[] randomBytes(Random rnd, int pieces) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < pieces; i++) {
      if (rnd.nextInt(4) == 0) {
        out.write(rnd.nextInt(256));
      } else {
        out.writeBytes(PIECES[rnd.nextInt(PIECES.length)]);
      }
    }
    return out.toByteArray();
  }

  private static void assertRoundTrip(BpeTokenizer t, byte[] b) {
    int[] ids = t.encode(b);
    assertArrayEquals(b, t.decode(ids, 0, ids.length));
  }

  @Test
  void europarlRoundTripsThroughTrainedAndByteTokenizers() {
    BpeTokenizer bpe = Samples.europarl8192();
    BpeTokenizer bytes = BpeTokenizer.byteLevel();
    List<byte[]> lines = Samples.europarlLines();
    for (int i = 0; i < lines.size(); i++) {
      byte[] unit = Samples.withNewline(lines.get(i));
      assertRoundTrip(bpe, unit);
      if (i % 10 == 0) {
        assertRoundTrip(bytes, unit);
      }
    }
    byte[] whole = Samples.concat(lines.subList(0, 500)); // many lines at once, no '\n'
    assertRoundTrip(bpe, whole);
  }

  @Test
  void randomBytesRoundTrip() {
    BpeTokenizer bpe = Samples.europarl8192();
    BpeTokenizer bytes = BpeTokenizer.byteLevel();
    Random rnd = new Random(3);
    for (int round = 0; round < 3000; round++) {
      byte[] b = randomBytes(rnd, rnd.nextInt(300));
      assertRoundTrip(bpe, b);
      assertRoundTrip(bytes, b);
      byte[] uniform = new byte[rnd.nextInt(100)];
      rnd.nextBytes(uniform);
      assertRoundTrip(bpe, uniform);
    }
  }

  @Test
  void encodeHonoursOffsetAndLengthAndAppends() {
    BpeTokenizer bpe = Samples.europarl8192();
    byte[] b = utf8("xx the Parliament yy");
    IntList ids = new IntList();
    ids.add(-7);
    bpe.encode(b, 3, 14, ids);
    int[] all = ids.toArray();
    assertArrayEquals(new int[] {-7}, java.util.Arrays.copyOf(all, 1));
    assertArrayEquals(utf8("the Parliament"), bpe.decode(all, 1, all.length - 1));
    assertArrayEquals(bpe.encode(utf8("the Parliament")), java.util.Arrays.copyOfRange(all, 1,
        all.length));
  }

  @Test
  void scanAndHeapMergesAgreeOnLongAndShortWords() {
    BpeTokenizer bpe = Samples.europarl8192();
    Random rnd = new Random(5);
    String[] parts = {"a", "e", "i", "o", "n", "t", "s", "r", "th", "ion", "ment", "ung", "ε", "α"};
    for (int round = 0; round < 3000; round++) {
      StringBuilder sb = new StringBuilder();
      int n = 1 + rnd.nextInt(round < 2500 ? 30 : 400);
      for (int i = 0; i < n; i++) {
        sb.append(parts[rnd.nextInt(parts.length)]);
      }
      byte[] word = utf8(sb.toString());
      assertArrayEquals(bpe.mergeWordForTest(word, false), bpe.mergeWordForTest(word, true),
          sb::toString);
    }
  }

  @Test
  void threadsSharingOneTokenizerGetTheSameIds() throws Exception {
    // A Spark broadcast value is shared by an executor's task threads; caches are per thread.
    BpeTokenizer bpe = Samples.europarl8192();
    List<byte[]> lines = Samples.europarlLines().subList(0, 2000);
    int[][] want = new int[lines.size()][];
    for (int i = 0; i < want.length; i++) {
      want[i] = bpe.encode(lines.get(i));
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<?>> futures = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int shift = t * 500;
        futures.add(pool.submit(() -> {
          for (int k = 0; k < lines.size(); k++) {
            int i = (k + shift) % lines.size();
            assertArrayEquals(want[i], bpe.encode(lines.get(i)));
          }
        }));
      }
      for (java.util.concurrent.Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void veryLongWordsEncodeAndRoundTrip() {
    BpeTokenizer bpe = Samples.europarl8192();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20000; i++) {
      sb.append("Parlament");
    }
    assertRoundTrip(bpe, utf8(sb.toString())); // one 180 kB word: must not be quadratic
  }
}
