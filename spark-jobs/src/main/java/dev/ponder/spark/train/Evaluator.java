package dev.ponder.spark.train;

import dev.ponder.core.metrics.Histogram;
import dev.ponder.core.model.EvalStats;
import dev.ponder.core.model.LanguageModel;
import dev.ponder.core.model.ModelFactory;
import dev.ponder.prep.shard.WindowStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/** Validation loss over a split, computed by the workers on their slices and summed. */
public final class Evaluator {
    /**
     * Summed cross-entropy (nats), predicted tokens and windows; the per-token compute histograms
     * (depth, flops, ...: exact counts, see ComputeStats) and token-weighted sums of the model's
     * named scalars (mean depth, expected depth, executed MACs per token, ...).
     */
    public record Totals(double ceSum, long tokens, long windows, TreeMap<String, Histogram> histograms,
                         TreeMap<String, Double> scalarSums) implements Serializable {
        public Totals(double ceSum, long tokens, long windows) {
            this(ceSum, tokens, windows, new TreeMap<>(), new TreeMap<>());
        }

        /** The sum of both; merges into this one's maps (each slice builds its own). */
        Totals plus(Totals o) {
            o.histograms.forEach((name, h) -> histograms.merge(name, h, Histogram::merge));
            o.scalarSums.forEach((name, v) -> scalarSums.merge(name, v, Double::sum));
            return new Totals(ceSum + o.ceSum, tokens + o.tokens, windows + o.windows, histograms, scalarSums);
        }

        /** The token-weighted mean of a scalar the model reported (NaN when it reported none). */
        public double scalarMean(String name) {
            Double sum = scalarSums.get(name);
            return sum == null || tokens == 0 ? Double.NaN : sum / tokens;
        }

        /** Token-weighted mean of every scalar the model reported. */
        public Map<String, Double> means() {
            Map<String, Double> m = new LinkedHashMap<>();
            scalarSums.forEach((k, v) -> m.put(k, tokens == 0 ? Double.NaN : v / tokens));
            return m;
        }

        public double loss() {
            return tokens == 0 ? Double.NaN : ceSum / tokens;
        }

        public double perplexity() {
            return Math.exp(loss());
        }
    }

    private Evaluator() {}

    /**
     * Evaluates at most {@code maxWindows} windows of {@code split} (all when <= 0), spread over
     * {@code plan.train().workers()} slices, each window exactly once.
     */
    public static Totals evaluate(JavaSparkContext sc, TrainPlan plan, float[] params, String split, long maxWindows) {
        int workers = plan.train().workers();
        long rows = plan.data().rows(split);
        long limit = maxWindows <= 0 ? rows : Math.min(rows, maxWindows);
        List<Integer> slices = new ArrayList<>();
        for (int p = 0; p < Math.min(workers, limit); p++) {
            slices.add(p);
        }
        if (slices.isEmpty()) {
            return new Totals(0, 0, 0);
        }
        Broadcast<float[]> weights = sc.broadcast(params);
        try {
            return sc.parallelize(slices, slices.size())
                    .map(p -> slice(plan, weights.value(), split, p, slices.size(), limit))
                    .reduce(Totals::plus);
        } finally {
            weights.destroy();
        }
    }

    /** Slice p of n evaluates global windows p, p+n, ... below {@code limit}. */
    static Totals slice(TrainPlan plan, float[] params, String split, int p, int n, long limit) {
        plan.prepareThread();
        LanguageModel model = ModelFactory.createForLoad(plan.modelConfig(), plan.train().seed());
        model.params().copyParamsFrom(params);
        int batch = plan.train().batchSize();
        int dataWindow = plan.data().manifest().window();
        int window = plan.train().window();
        long mine = (limit - p + n - 1) / n;
        WindowStream stream = plan.data().stream(split, p, n, WindowStream.startOf(plan.data(), split, p));
        Totals total = new Totals(0, 0, 0);
        int[] rows = null;
        int[] cropped = new int[batch * window];
        for (long done = 0; done < mine; done += batch) {
            int b = (int) Math.min(batch, mine - done);
            rows = stream.nextBatch(b, rows);
            int[] tokens = PartitionTrainer.crop(rows, b, dataWindow, window, b == batch ? cropped : new int[b * window]);
            EvalStats e = model.evaluate(tokens, b, window);
            model.drainRoutingStats();                               // expert load is a training metric
            TreeMap<String, Double> scalars = new TreeMap<>();
            e.scalars().forEach((name, v) -> scalars.put(name, v * e.tokens()));
            total = total.plus(new Totals(e.ceSum(), e.tokens(), b,
                    new TreeMap<>(ComputeStats.tokenHistograms(model, e.tokens(), window - 1)), scalars));
        }
        return total;
    }
}
