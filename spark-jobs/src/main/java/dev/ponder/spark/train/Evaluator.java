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
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/** Validation loss over a split, computed by the workers on their slices and summed. */
public final class Evaluator {
    /**
     * Summed cross-entropy (nats) and predicted tokens; the family's named scalars as token-weighted
     * sums (MoD: predictor accuracy, share of tokens routed, ...) and the per-token compute
     * histograms its forward passes filled (MoD: blocks, flops). All merge by addition.
     */
    public record Totals(double ceSum, long tokens, long windows, Map<String, Double> scalarSums,
                         Map<String, Histogram> histograms) implements Serializable {
        public Totals(double ceSum, long tokens, long windows) {
            this(ceSum, tokens, windows, Map.of(), Map.of());
        }

        Totals plus(Totals o) {
            Map<String, Double> s = new LinkedHashMap<>(scalarSums);
            o.scalarSums.forEach((k, v) -> s.merge(k, v, Double::sum));
            Map<String, Histogram> h = new LinkedHashMap<>();
            histograms.forEach((k, v) -> h.put(k, copy(v)));
            o.histograms.forEach((k, v) -> h.merge(k, copy(v), Histogram::merge));
            return new Totals(ceSum + o.ceSum, tokens + o.tokens, windows + o.windows, s, h);
        }

        /** Token-weighted means of the scalars. */
        public Map<String, Double> scalarMeans() {
            Map<String, Double> m = new LinkedHashMap<>();
            scalarSums.forEach((k, v) -> m.put(k, v / tokens));
            return m;
        }

        private static Histogram copy(Histogram h) {
            return (h.isIntegers() ? Histogram.integers() : Histogram.exponential()).merge(h);
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
            Map<String, Double> sums = new LinkedHashMap<>();
            e.scalars().forEach((k, v) -> sums.put(k, v * e.tokens()));
            total = total.plus(new Totals(e.ceSum(), e.tokens(), b, sums, model.drainComputeHistograms()));
        }
        return total;
    }
}
