package dev.ponder.prep.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * tokenizer.json in the Hugging Face format. Token strings use GPT-2's bytes_to_unicode
 * alphabet: each byte is one printable character (the printable Latin-1 bytes stand for
 * themselves, the rest map to U+0100..U+0143), so a token's string is its bytes, one char each.
 *
 * <p>Merges are written as "left right" strings, the form every tokenizers version reads (newer
 * ones also write [left, right] pairs; both are read). Byte-level tokens never contain ' '.
 */
final class TokenizerJson {
  /** BYTE_CHAR[b]: the character standing for byte b. Immutable after class init. */
  private static final char[] BYTE_CHAR = new char[256];
  /** CHAR_BYTE[c]: the byte for character c, or -1; c < 324. */
  private static final int[] CHAR_BYTE = new int[324];

  static {
    Arrays.fill(CHAR_BYTE, -1);
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      BYTE_CHAR[b] = (char) (printable ? b : 256 + n++);
      CHAR_BYTE[BYTE_CHAR[b]] = b;
    }
  }

  private TokenizerJson() {}

  static String tokenString(byte[] bytes) {
    char[] c = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      c[i] = BYTE_CHAR[bytes[i] & 0xFF];
    }
    return new String(c);
  }

  /** The bytes of a token string, or null if a character is outside the alphabet. */
  static byte[] tokenBytes(String s) {
    byte[] b = new byte[s.length()];
    for (int i = 0; i < b.length; i++) {
      char c = s.charAt(i);
      if (c >= CHAR_BYTE.length || CHAR_BYTE[c] < 0) {
        return null;
      }
      b[i] = (byte) CHAR_BYTE[c];
    }
    return b;
  }

  static String write(BpeTokenizer t) {
    ObjectMapper m = new ObjectMapper(); // per call: no static mutable state; this is rare
    ObjectNode root = m.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    try {
      root.set("added_tokens", m.readTree(t.addedTokensJson()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("added_tokens were validated when read", e);
    }
    root.putNull("normalizer");
    byteLevel(root.putObject("pre_tokenizer"), false);
    root.putNull("post_processor");
    byteLevel(root.putObject("decoder"), true); // the decoder ignores its fields; HF's defaults
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("ignore_merges", t.ignoreMerges());
    ObjectNode vocab = model.putObject("vocab");
    for (int id = 0; id < t.vocabSize(); id++) {
      vocab.put(tokenString(t.token(id)), id);
    }
    ArrayNode merges = model.putArray("merges");
    for (int r = 0; r < t.mergeCount(); r++) {
      merges.add(tokenString(t.token(t.mergeLeft(r))) + " "
          + tokenString(t.token(t.mergeRight(r))));
    }
    try {
      return m.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void byteLevel(ObjectNode n, boolean addPrefixSpace) {
    n.put("type", "ByteLevel");
    n.put("add_prefix_space", addPrefixSpace);
    n.put("trim_offsets", true);
    n.put("use_regex", true);
  }

  static BpeTokenizer read(String json) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (JsonProcessingException e) {
      throw bad("tokenizer.json is not valid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw bad("tokenizer.json must be a JSON object");
    }
    if (!isNull(root.get("normalizer"))) {
      throw bad("normalizer must be null, found " + describe(root.get("normalizer")));
    }
    JsonNode pre = root.get("pre_tokenizer");
    if (!isType(pre, "ByteLevel")) {
      throw bad("pre_tokenizer must be ByteLevel, found " + describe(pre));
    }
    if (pre.path("add_prefix_space").asBoolean(false)) {
      throw bad("pre_tokenizer.add_prefix_space must be false");
    }
    if (!pre.path("use_regex").asBoolean(true)) {
      throw bad("pre_tokenizer.use_regex must be true");
    }
    JsonNode decoder = root.get("decoder");
    if (!isNull(decoder) && !isType(decoder, "ByteLevel")) {
      throw bad("decoder must be ByteLevel or null, found " + describe(decoder));
    }
    JsonNode post = root.get("post_processor");
    if (!isNull(post) && !isType(post, "ByteLevel")) {
      throw bad("post_processor must be ByteLevel or null, found " + describe(post));
    }
    JsonNode model = root.get("model");
    if (model == null || !model.isObject()) {
      throw bad("model is missing");
    }
    if (model.has("type") && !"BPE".equals(model.get("type").asText())) {
      throw bad("model.type must be BPE, found " + model.get("type").asText());
    }
    if (!isNull(model.get("dropout"))) {
      throw bad("model.dropout must be null (dropout makes encodings random)");
    }
    for (String f : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
      if (!isNull(model.get(f)) && !model.get(f).asText().isEmpty()) {
        throw bad("model." + f + " must be null or empty, found '" + model.get(f).asText() + "'");
      }
    }
    byte[][] tokens = readVocab(model.get("vocab"));
    Map<String, Integer> ids = new HashMap<>();
    for (int id = 0; id < tokens.length; id++) {
      ids.put(tokenString(tokens[id]), id);
    }
    int[][] merges = readMerges(model.get("merges"), ids);
    JsonNode added = root.get("added_tokens");
    String addedJson = "[]";
    if (!isNull(added)) {
      checkAddedTokens(added, ids);
      addedJson = added.toString();
    }
    return new BpeTokenizer(tokens, merges[0], merges[1], merges[2],
        model.path("ignore_merges").asBoolean(false), addedJson);
  }

  private static byte[][] readVocab(JsonNode vocab) {
    if (vocab == null || !vocab.isObject()) {
      throw bad("model.vocab must be an object of token -> id");
    }
    byte[][] tokens = new byte[vocab.size()][];
    for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().canConvertToInt()) {
        throw bad("model.vocab['" + e.getKey() + "'] is not an integer id");
      }
      int id = e.getValue().intValue();
      if (id < 0 || id >= tokens.length) {
        throw bad("model.vocab ids must be 0.." + (tokens.length - 1) + " (one per entry), found "
            + id + " for '" + e.getKey() + "'");
      }
      if (tokens[id] != null) {
        throw bad("model.vocab id " + id + " is used twice");
      }
      byte[] b = tokenBytes(e.getKey());
      if (b == null) {
        throw bad("model.vocab token '" + e.getKey() + "' (id " + id
            + ") has a character outside the byte-level alphabet");
      }
      tokens[id] = b;
    }
    return tokens;
  }

  /** {left ids, right ids, result ids} by rank. */
  private static int[][] readMerges(JsonNode merges, Map<String, Integer> ids) {
    if (merges == null || !merges.isArray()) {
      throw bad("model.merges must be an array");
    }
    int n = merges.size();
    int[][] out = new int[3][n];
    for (int r = 0; r < n; r++) {
      JsonNode m = merges.get(r);
      String a;
      String b;
      if (m.isTextual() && m.asText().indexOf(' ') > 0
          && m.asText().indexOf(' ') == m.asText().lastIndexOf(' ')) {
        a = m.asText().substring(0, m.asText().indexOf(' '));
        b = m.asText().substring(m.asText().indexOf(' ') + 1);
      } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
        a = m.get(0).asText();
        b = m.get(1).asText();
      } else {
        throw bad("model.merges[" + r + "] must be \"left right\" or [left, right], found " + m);
      }
      out[0][r] = mergeId(ids, a, r);
      out[1][r] = mergeId(ids, b, r);
      out[2][r] = mergeId(ids, a + b, r);
    }
    return out;
  }

  private static int mergeId(Map<String, Integer> ids, String token, int rank) {
    Integer id = ids.get(token);
    if (id == null) {
      throw bad("model.merges[" + rank + "] needs token '" + token + "', which is not in vocab");
    }
    return id;
  }

  private static void checkAddedTokens(JsonNode added, Map<String, Integer> ids) {
    if (!added.isArray()) {
      throw bad("added_tokens must be an array");
    }
    for (JsonNode a : added) {
      String content = a.path("content").asText(null);
      Integer id = content == null ? null : ids.get(content);
      if (id == null || id != a.path("id").asInt(-1)) {
        throw bad("added token " + a + " must be in model.vocab with the same id");
      }
    }
  }

  private static boolean isNull(JsonNode n) {
    return n == null || n.isNull();
  }

  private static boolean isType(JsonNode n, String type) {
    return n != null && n.isObject() && type.equals(n.path("type").asText());
  }

  private static String describe(JsonNode n) {
    if (isNull(n)) {
      return "null";
    }
    return n.has("type") ? n.get("type").asText() : n.toString();
  }

  private static IllegalArgumentException bad(String msg) {
    return new IllegalArgumentException(msg);
  }
}
