package dev.ponder.spark.train;

import dev.ponder.prep.shard.Cursor;
import dev.ponder.prep.shard.ShardDataset;
import dev.ponder.prep.shard.WindowStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Entropy (nats) of the unigram distribution of a split's target tokens: the loss of the best
 * model that ignores context, the baseline a trained model must beat.
 */
public final class UnigramEntropy {
    private UnigramEntropy() {}

    public static double of(JavaSparkContext sc, ShardDataset data, String split) {
        int shards = data.manifest().shardsOf(split).size();
        int vocab = data.manifest().vocabSize();
        List<Integer> ids = new ArrayList<>();
        for (int s = 0; s < shards; s++) {
            ids.add(s);
        }
        long[] counts = sc.parallelize(ids, Math.max(1, Math.min(shards, sc.defaultParallelism() * 2)))
                .map(s -> countShard(data, split, s, vocab))
                .reduce(UnigramEntropy::add);
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        double h = 0;
        for (long c : counts) {
            if (c > 0) {
                double p = (double) c / total;
                h -= p * Math.log(p);
            }
        }
        return h;
    }

    /** Counts ids [1:] of every window of one shard (the targets; windows overlap by one id). */
    static long[] countShard(ShardDataset data, String split, int shard, int vocab) {
        long rows = data.manifest().shardsOf(split).get(shard).rows();
        int window = data.manifest().window();
        WindowStream stream = data.stream(split, 0, 1, new Cursor(0, shard, 0));
        long[] counts = new long[vocab];
        int[] w = new int[window];
        for (long r = 0; r < rows; r++) {
            stream.next(w, 0);
            for (int j = 1; j < window; j++) {
                counts[w[j]]++;
            }
        }
        return counts;
    }

    private static long[] add(long[] a, long[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
        }
        return a;
    }
}
