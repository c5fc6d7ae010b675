/**
 * Byte-level BPE tokenizers in the Hugging Face {@code tokenizers} format.
 *
 * <p>{@link dev.ponder.prep.tokenizer.PreTokenizer} splits raw bytes into words with GPT-2's
 * regex (usable on Spark executors to count words); {@link dev.ponder.prep.tokenizer.BpeTrainer}
 * turns word counts into merges on the driver; {@link dev.ponder.prep.tokenizer.BpeTokenizer}
 * encodes and decodes any bytes and reads and writes tokenizer.json. The byte tokenizer is the
 * same model with no merges, so token id == byte. Valid UTF-8 text encodes exactly as the HF
 * library encodes it with our tokenizer.json (the tests check this through DJL); invalid UTF-8
 * becomes byte tokens, so decode(encode(x)) == x for every byte array.
 */
package dev.ponder.prep.tokenizer;
