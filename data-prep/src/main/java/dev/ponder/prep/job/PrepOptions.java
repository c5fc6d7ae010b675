package dev.ponder.prep.job;

import java.io.Serializable;
import java.util.List;

/**
 * What {@code ponder prep} was asked to do.
 *
 * @param inputs URIs or globs (file://, hdfs://, s3a://, local paths), or {@link CorpusSource#SAMPLE}
 * @param out output directory URI
 * @param tokenizer {@code bpe} (trained on the corpus) or {@code byte} (vocab 256)
 * @param vocabSize BPE vocabulary size (>= 256)
 * @param seqLen T: rows hold T+1 ids
 * @param valFraction share of documents in the validation split, in [0, 1)
 * @param seed seed of the split hash
 * @param partitions Spark partitions for encoding (0: Spark's default)
 * @param rowsPerShard maximum windows per shard file
 * @param overwrite replace an existing output directory
 */
public record PrepOptions(
        List<String> inputs,
        String out,
        String tokenizer,
        int vocabSize,
        int seqLen,
        double valFraction,
        long seed,
        int partitions,
        int rowsPerShard,
        boolean overwrite) implements Serializable {

    public static final int DEFAULT_VOCAB = 8192;
    public static final int DEFAULT_SEQ_LEN = 256;
    public static final double DEFAULT_VAL_FRACTION = 0.01;
    public static final int DEFAULT_ROWS_PER_SHARD = 16384;

    public PrepOptions {
        inputs = List.copyOf(inputs);
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("--input: at least one input URI is required (or "
                    + CorpusSource.SAMPLE + " for the built-in sample)");
        }
        if (!tokenizer.equals("bpe") && !tokenizer.equals("byte")) {
            throw new IllegalArgumentException("--tokenizer: expected bpe or byte, found " + tokenizer);
        }
        if (tokenizer.equals("bpe") && vocabSize < 257) {
            throw new IllegalArgumentException("--vocab: expected at least 257 for bpe (256 byte tokens + merges), found "
                    + vocabSize);
        }
        if (seqLen < 1) {
            throw new IllegalArgumentException("--seq-len: expected >= 1, found " + seqLen);
        }
        if (!(valFraction >= 0 && valFraction < 1)) {
            throw new IllegalArgumentException("--val-fraction: expected a value in [0, 1), found " + valFraction);
        }
        if (rowsPerShard < 1) {
            throw new IllegalArgumentException("--rows-per-shard: expected >= 1, found " + rowsPerShard);
        }
    }

    public int window() {
        return seqLen + 1;
    }
}
