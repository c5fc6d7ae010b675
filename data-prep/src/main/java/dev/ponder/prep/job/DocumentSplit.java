package dev.ponder.prep.job;

import java.io.Serializable;

/** Assigns a document to train or validation by a seeded 64-bit hash of its bytes. */
final class DocumentSplit implements Serializable {
    private static final long serialVersionUID = 1L;
    private final long seed;
    private final double valFraction;

    DocumentSplit(long seed, double valFraction) {
        this.seed = seed;
        this.valFraction = valFraction;
    }

    boolean isValidation(byte[] doc) {
        if (valFraction <= 0) {
            return false;
        }
        // FNV-1a over the bytes, then a SplitMix64 finaliser with the seed: uniform enough for a
        // split and stable across JVMs and Spark versions (String.hashCode/Object hash are not used).
        long h = 0xcbf29ce484222325L ^ seed;
        for (byte b : doc) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h += 0x9e3779b97f4a7c15L * (seed + 1);
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        h ^= h >>> 31;
        double u = (h >>> 11) * 0x1.0p-53;
        return u < valFraction;
    }
}
