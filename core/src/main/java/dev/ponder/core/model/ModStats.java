package dev.ponder.core.model;

import dev.ponder.core.metrics.Histogram;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one Mixture-of-Depths forward executed, per token and per routed block: blocks each token
 * went through and its forward multiply-adds (the per-token compute of MODELS.md section 5), and
 * the router and predictor statistics. Filled block by block, then turned into named scalars and
 * added to the model's mergeable histograms.
 */
final class ModStats {
    private final int tokens;
    private final int[] blocks;          // per token: block applications it went through
    private final long[] macs;           // per token: forward multiply-adds (head and embedding excluded)
    private long executedMacs;
    private int routedBlocks;
    private long selected;               // tokens through routed blocks, summed over them
    private double routerSum;            // sum of r over tokens and routed blocks
    private double scaleSum;             // sum of s(r) over selected tokens
    private long agreements;
    private long truePositives;
    private long topCTokens;
    private double bceSum;

    ModStats(int tokens) {
        this.tokens = tokens;
        this.blocks = new int[tokens];
        this.macs = new long[tokens];
    }

    /** A block every token went through, costing {@code macsPerToken} each ({@code executed} in all). */
    void full(long macsPerToken, long executed) {
        for (int i = 0; i < tokens; i++) {
            blocks[i]++;
            macs[i] += macsPerToken;
        }
        executedMacs += executed;
    }

    /**
     * A routed block: every token paid {@code routingMacs} (router and predictor); the selected ones
     * also {@code blockMacsPerToken}; {@code executed} is what ran in all.
     */
    void routed(ModBlock.Saved s, long routingMacs, long blockMacsPerToken, long executed) {
        routedBlocks++;
        for (int i = 0; i < tokens; i++) {
            macs[i] += routingMacs;
            routerSum += s.r()[i];
        }
        ModBlock.Selection sel = s.selection();
        if (sel != null) {
            for (int i = 0; i < sel.dst().length; i++) {
                int row = sel.dst()[i];
                if (row >= 0) {
                    blocks[row]++;
                    macs[row] += blockMacsPerToken;
                    scaleSum += s.scaleHost()[i];
                }
            }
            selected += sel.selected();
        }
        agreements += s.agreements();
        truePositives += s.truePositives();
        for (boolean m : s.topC()) {
            topCTokens += m ? 1 : 0;
        }
        bceSum += s.bce();
        executedMacs += (long) tokens * routingMacs + executed;
    }

    long executedMacs() {
        return executedMacs;
    }

    /** Mean BCE of the routed blocks' predictors. */
    double meanBce() {
        return routedBlocks == 0 ? 0 : bceSum / routedBlocks;
    }

    /**
     * Named scalars (means over tokens): mod_blocks_per_token, mod_selected_fraction (share of
     * tokens through a routed block), mod_router_mean (mean r), mod_router_scale_mean (mean s(r) of
     * selected tokens), mod_predictor_accuracy (predictor decision = top-C membership),
     * mod_predictor_recall (top-C tokens the predictor picks), mod_predictor_bce.
     */
    Map<String, Double> scalars() {
        Map<String, Double> m = new LinkedHashMap<>();
        long blockSum = 0;
        for (int b : blocks) {
            blockSum += b;
        }
        double routedTokens = (double) tokens * Math.max(1, routedBlocks);
        m.put("mod_blocks_per_token", blockSum / (double) tokens);
        m.put("mod_selected_fraction", selected / routedTokens);
        m.put("mod_router_mean", routerSum / routedTokens);
        m.put("mod_router_scale_mean", selected == 0 ? 0.0 : scaleSum / selected);
        m.put("mod_predictor_accuracy", agreements / routedTokens);
        m.put("mod_predictor_recall", topCTokens == 0 ? 0.0 : truePositives / (double) topCTokens);
        m.put("mod_predictor_bce", meanBce());
        return m;
    }

    /** Adds this forward's tokens to the histograms: blocks executed and forward FLOPs (2 per MAC). */
    void addTo(Histogram blocksHist, Histogram flopsHist) {
        Map<Integer, Long> byBlocks = new HashMap<>();
        Map<Long, Long> byMacs = new HashMap<>();
        for (int i = 0; i < tokens; i++) {
            byBlocks.merge(blocks[i], 1L, Long::sum);
            byMacs.merge(macs[i], 1L, Long::sum);
        }
        byBlocks.forEach((b, c) -> blocksHist.add(b, c));
        byMacs.forEach((v, c) -> flopsHist.add(2.0 * v, c));
    }

    /** Per-token blocks (for tests). */
    int[] blocks() {
        return blocks.clone();
    }
}
