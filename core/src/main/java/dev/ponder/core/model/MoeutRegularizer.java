package dev.ponder.core.model;

import dev.ponder.core.routing.EntropyRegularizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * MoEUT's entropy load-balancing regulariser over a forward's layer invocations (MODELS.md section
 * 1): per shared layer (group position g), its σ-MoE selection logits over all its invocations give
 * entropy_reg * L; with att_n_experts > 1 its SwitchHead value and output selections give
 * att_entropy_reg * (L_v + L_o). Used by {@link MoeutLm} (R invocations per layer, all over T
 * tokens) and by {@link ModLm} around MoEUT layers (routed invocations run over C tokens per
 * sequence, so invocations may differ in length).
 */
final class MoeutRegularizer {
    private MoeutRegularizer() {}

    /** The two terms (coefficients applied) and, per invocation, the gradients at its router logits. */
    record Result(double ffn, double att, ResidualBlock.RouterLogitGrads[] grads) {
        /** The regulariser's loss: both terms. */
        double total() {
            return ffn + att;
        }

        /** Its parts as the scalars "reg_ffn" and "reg_att". */
        void putScalars(Map<String, Double> m) {
            m.put("reg_ffn", ffn);
            m.put("reg_att", att);
        }
    }

    /**
     * @param saved  each invocation's layer record, in any order
     * @param module the shared layer (0..G-1) each invocation applied
     * @param lens   tokens per sequence each invocation ran over
     */
    static Result compute(MoeutSettings ms, int heads, MoeutLayer.Saved[] saved, int[] module, int[] lens, int batch) {
        int n = saved.length;
        INDArray[] dFfn = new INDArray[n];
        INDArray[] dV = new INDArray[n];
        INDArray[] dO = new INDArray[n];
        double ffn = 0;
        double att = 0;
        for (int g = 0; g < ms.groupSize(); g++) {
            List<Integer> mine = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (module[i] == g) {
                    mine.add(i);
                }
            }
            if (mine.isEmpty()) {
                continue;
            }
            int[] len = mine.stream().mapToInt(i -> lens[i]).toArray();
            if (ms.entropyReg() > 0) {
                EntropyRegularizer.Result f = EntropyRegularizer.compute(
                        mine.stream().map(i -> saved[i].ffn().logits()).toList(), batch, len, 1, ms.ffNExperts(),
                        ms.entropyReg());
                ffn += ms.entropyReg() * f.loss();
                for (int j = 0; j < mine.size(); j++) {
                    dFfn[mine.get(j)] = f.dLogits().get(j);
                }
            }
            if (ms.attEntropyReg() > 0 && ms.attNExperts() > 1) {
                EntropyRegularizer.Result v = EntropyRegularizer.compute(
                        mine.stream().map(i -> saved[i].att().logitsV()).toList(), batch, len, heads,
                        ms.attNExperts(), ms.attEntropyReg());
                EntropyRegularizer.Result o = EntropyRegularizer.compute(
                        mine.stream().map(i -> saved[i].att().logitsO()).toList(), batch, len, heads,
                        ms.attNExperts(), ms.attEntropyReg());
                att += ms.attEntropyReg() * (v.loss() + o.loss());
                for (int j = 0; j < mine.size(); j++) {
                    dV[mine.get(j)] = v.dLogits().get(j);
                    dO[mine.get(j)] = o.dLogits().get(j);
                }
            }
        }
        ResidualBlock.RouterLogitGrads[] grads = new ResidualBlock.RouterLogitGrads[n];
        for (int i = 0; i < n; i++) {
            grads[i] = dFfn[i] == null && dV[i] == null ? null : new ResidualBlock.RouterLogitGrads(dFfn[i], dV[i], dO[i]);
        }
        return new Result(ffn, att, grads);
    }
}
