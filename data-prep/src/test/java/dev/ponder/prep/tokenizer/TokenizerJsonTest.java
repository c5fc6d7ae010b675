package dev.ponder.prep.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading and writing tokenizer.json, including files we did not write, and serialization. */
class TokenizerJsonTest {
  @TempDir Path dir;
  private static BpeTokenizer small;
  private static List<byte[]> lines;

  @BeforeAll
  static void train() {
    lines = Samples.europarlLines().subList(0, 3000);
    small = BpeTrainer.train(Samples.countWords(lines.subList(0, 1500)), 1500);
  }

  @Test
  void ourJsonReadsBackToTheSameTokenizer() {
    BpeTokenizer back = BpeTokenizer.fromJson(small.toJson());
    assertEquals(small.toJson(), back.toJson());
    assertEquals(small.sha256(), back.sha256());
    for (byte[] line : lines.subList(0, 300)) {
      assertArrayEquals(small.encode(line), back.encode(line));
    }
  }

  @Test
  void javaSerializationKeepsTheTokenizer() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(small);
    }
    BpeTokenizer back;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      back = (BpeTokenizer) in.readObject();
    }
    assertEquals(small.sha256(), back.sha256());
    for (byte[] line : lines.subList(0, 300)) {
      assertArrayEquals(small.encode(line), back.encode(line));
    }
  }

  /**
   * A file in the style of GPT-2's: ids not in byte order, merges as [left, right] pairs, an added
   * special token, a ByteLevel post-processor and empty affixes. We must encode as HF does.
   */
  @Test
  void readsForeignHfFilesAndEncodesLikeHuggingFace() throws Exception {
    for (boolean ignoreMerges : new boolean[] {false, true}) {
      ObjectNode root = foreign(small, ignoreMerges);
      String json = root.toString();
      BpeTokenizer ours = BpeTokenizer.fromJson(json);
      assertEquals(small.vocabSize() + 1, ours.vocabSize());
      try (HuggingFaceTokenizer hf = Samples.loadInHf(json, dir)) {
        for (byte[] line : lines) {
          byte[] unit = Samples.withNewline(line);
          long[] want = hf.encode(new String(unit, StandardCharsets.UTF_8), false, false).getIds();
          assertArrayEquals(Samples.toInts(want), ours.encode(unit), "ignore_merges=" + ignoreMerges);
        }
      }
      // Written back in our canonical form, HF still encodes the same way.
      try (HuggingFaceTokenizer hf = Samples.loadInHf(ours.toJson(), dir)) {
        String text = new String(lines.get(7), StandardCharsets.UTF_8);
        assertArrayEquals(Samples.toInts(hf.encode(text, false, false).getIds()),
            ours.encode(lines.get(7)));
      }
    }
  }

  /** small's vocabulary with its ids shuffled, in GPT-2's layout. */
  private static ObjectNode foreign(BpeTokenizer t, boolean ignoreMerges) throws Exception {
    ObjectMapper m = new ObjectMapper();
    ObjectNode root = (ObjectNode) m.readTree(t.toJson());
    List<Integer> perm = new ArrayList<>();
    for (int i = 0; i < t.vocabSize(); i++) {
      perm.add(i);
    }
    Collections.shuffle(perm, new Random(2));
    ObjectNode model = (ObjectNode) root.get("model");
    ObjectNode vocab = model.putObject("vocab");
    for (int i = 0; i < t.vocabSize(); i++) {
      vocab.put(TokenizerJson.tokenString(t.tokenBytes(i)), perm.get(i));
    }
    vocab.put("<|endoftext|>", t.vocabSize());
    ArrayNode merges = model.putArray("merges");
    for (int r = 0; r < t.mergeCount(); r++) {
      merges.addArray().add(TokenizerJson.tokenString(t.tokenBytes(t.mergeLeft(r))))
          .add(TokenizerJson.tokenString(t.tokenBytes(t.mergeRight(r))));
    }
    model.put("continuing_subword_prefix", "");
    model.put("end_of_word_suffix", "");
    model.put("ignore_merges", ignoreMerges);
    ArrayNode added = root.putArray("added_tokens");
    added.addObject().put("id", t.vocabSize()).put("content", "<|endoftext|>")
        .put("single_word", false).put("lstrip", false).put("rstrip", false)
        .put("normalized", true).put("special", true);
    ObjectNode post = root.putObject("post_processor");
    post.put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", false)
        .put("use_regex", true);
    return root;
  }

  @Test
  void rejectsWhatItCannotEncodeExactlyWithAClearMessage() throws Exception {
    String base = BpeTokenizer.byteLevel().toJson();
    assertRejected("not valid JSON", base.substring(0, 100), r -> { });
    assertRejected("model.type must be BPE", base,
        r -> ((ObjectNode) r.get("model")).put("type", "WordPiece"));
    assertRejected("pre_tokenizer must be ByteLevel, found Whitespace", base,
        r -> r.putObject("pre_tokenizer").put("type", "Whitespace"));
    assertRejected("add_prefix_space", base,
        r -> ((ObjectNode) r.get("pre_tokenizer")).put("add_prefix_space", true));
    assertRejected("normalizer must be null, found NFC", base,
        r -> r.putObject("normalizer").put("type", "NFC"));
    assertRejected("dropout", base, r -> ((ObjectNode) r.get("model")).put("dropout", 0.1));
    assertRejected("no token for byte 0x41", base, r -> {
      ObjectNode vocab = (ObjectNode) r.get("model").get("vocab");
      vocab.put("BC", vocab.remove("A").intValue());
    });
    assertRejected("outside the byte-level alphabet", base,
        r -> ((ObjectNode) r.get("model").get("vocab")).put("中", 256));
    assertRejected("ids must be 0..255 (one per entry), found 300", base,
        r -> ((ObjectNode) r.get("model").get("vocab")).put("A", 300));
    assertRejected("needs token 'Az', which is not in vocab", base,
        r -> ((ArrayNode) r.get("model").get("merges")).add("A z"));
    assertRejected("added token", base, r -> ((ArrayNode) r.get("added_tokens")).addObject()
        .put("id", 5).put("content", "<s>"));
  }

  private static void assertRejected(String expected, String json, Consumer<ObjectNode> edit)
      throws Exception {
    String text = json;
    if (json.startsWith("{") && json.endsWith("}")) {
      ObjectNode root = (ObjectNode) new ObjectMapper().readTree(json);
      edit.accept(root);
      text = root.toString();
    }
    String bad = text;
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BpeTokenizer.fromJson(bad));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void decodeRejectsUnknownIds() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BpeTokenizer.byteLevel().decode(new int[] {65, 256}, 0, 2));
    assertTrue(e.getMessage().contains("256"), e.getMessage());
  }
}
