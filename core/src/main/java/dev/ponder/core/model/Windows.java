package dev.ponder.core.model;

/**
 * A batch of token windows [B, T + 1] (row-major) split into model inputs [:, :T] and next-token
 * targets [:, 1:], both flattened to B*T.
 */
record Windows(int[] inputs, int[] targets, int seqLen) {
    static Windows split(int[] tokens, int batch, int seqLenPlusOne, int contextLength) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch: expected >= 1, found " + batch);
        }
        int t = seqLenPlusOne - 1;
        if (t < 1 || t > contextLength) {
            throw new IllegalArgumentException("sequence length T (window length - 1): expected a value in [1, "
                    + contextLength + "], found " + t);
        }
        if (tokens.length != (long) batch * seqLenPlusOne) {
            throw new IllegalArgumentException("tokens: expected batch * (T + 1) = " + ((long) batch * seqLenPlusOne)
                    + " ids, found " + tokens.length);
        }
        int[] in = new int[batch * t];
        int[] tg = new int[batch * t];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(tokens, b * seqLenPlusOne, in, b * t, t);
            System.arraycopy(tokens, b * seqLenPlusOne + 1, tg, b * t, t);
        }
        return new Windows(in, tg, t);
    }
}
