package dev.ponder.core.model;

import dev.ponder.core.nn.AttentionReference;
import dev.ponder.core.params.ParamStore;
import dev.ponder.core.routing.HostArrays;

/**
 * MODELS.md section 2 computed literally, in plain double loops, for cross-checking {@link SutLm}:
 * every token goes through the layer at every step with its routing mask (a halted token's routers
 * give p = 0, so no expert contributes and the pre-LN layer leaves it unchanged), the halting gate
 * runs on every token at every step, keys and values come from every token's s_{l-1}. No rows are
 * gathered, nothing is cached or carried. Slow; tiny shapes only.
 */
final class SutReference {
    /** Logits [N][V], the ACT value, layer applications per token, and the output states [N][d]. */
    record Result(double[][] logits, double act, int[] depth, double[][] out) {}

    private final ModelConfig c;
    private final ParamStore p;
    private final int d;
    private final int heads;
    private final int dh;
    private final int rot;

    SutReference(ModelConfig c, ParamStore p) {
        this.c = c;
        this.p = p;
        this.d = c.dModel();
        this.heads = c.nHeads();
        this.dh = c.dHead();
        this.rot = c.ropeDims();
    }

    Result run(int[] inputs, int batch, int seqLen, double tau) {
        int n = batch * seqLen;
        int steps = c.nLayers();
        double[] emb = read("embedding.weight");
        double[][] h = new double[n][d];
        for (int t = 0; t < n; t++) {
            System.arraycopy(emb, inputs[t] * d, h[t], 0, d);
        }
        double[][] s = copy(h);
        double[] logPi = new double[n];
        double[] depthD = new double[n];
        double[][] acc = new double[n][d];
        double[] mask = new double[n];
        java.util.Arrays.fill(mask, 1.0);
        int[] depth = new int[n];
        double[][] hNext = layer(h, s, mask, batch, seqLen);
        for (int t = 0; t < n; t++) {
            depth[t] = 1;
        }
        s = copy(hNext);
        double[][] hPrev = hNext;
        for (int l = 2; l <= steps; l++) {
            double[][] gate = gate(hPrev);                                   // {log(1 - alpha), log alpha} per token
            for (int t = 0; t < n; t++) {
                double pl = Math.exp(logPi[t] + gate[t][1]);
                logPi[t] += gate[t][0];
                for (int j = 0; j < d; j++) {
                    acc[t][j] += pl * hPrev[t][j];
                }
                depthD[t] += (l - 2) * pl;
                double pi = Math.exp(logPi[t]);
                mask[t] = tau >= 1 || pi >= 1 - tau ? pi : 0.0;
            }
            double[][] hl = layer(hPrev, s, mask, batch, seqLen);
            double[][] sl = new double[n][];
            for (int t = 0; t < n; t++) {
                boolean frozen = mask[t] == 0 && tau < 1;
                sl[t] = new double[d];
                for (int j = 0; j < d; j++) {
                    sl[t][j] = frozen ? s[t][j] : acc[t][j] + mask[t] * hl[t][j];
                }
                depth[t] += frozen ? 0 : 1;
            }
            s = sl;
            hPrev = hl;
        }
        double act = 0;
        for (int t = 0; t < n; t++) {
            act += depthD[t] + Math.exp(logPi[t]) * (steps - 1);
        }
        double[][] xf = layerNorm(s, "out_norm");
        double[][] logits = linear(xf, read("lm_head.weight"), read("lm_head.bias"), c.vocabSize());
        return new Result(logits, act / n, depth, s);
    }

    /** Logits [N][V] of the plain weight-shared stack: h_l = f(h_{l-1}) with keys and values from h_{l-1}. */
    double[][] plainStack(int[] inputs, int batch, int seqLen) {
        int n = batch * seqLen;
        double[] emb = read("embedding.weight");
        double[][] h = new double[n][d];
        for (int t = 0; t < n; t++) {
            System.arraycopy(emb, inputs[t] * d, h[t], 0, d);
        }
        double[] all = new double[n];
        java.util.Arrays.fill(all, 1.0);
        for (int l = 1; l <= c.nLayers(); l++) {
            h = layer(h, h, all, batch, seqLen);
        }
        return linear(layerNorm(h, "out_norm"), read("lm_head.weight"), read("lm_head.bias"), c.vocabSize());
    }

    /** f for every token: rows with mask 0 are left unchanged (their routers give p = 0). */
    private double[][] layer(double[][] h, double[][] s, double[] mask, int batch, int seqLen) {
        SutSettings ss = c.sut();
        int n = h.length;
        int hd = heads * dh;
        double[][] xn = layerNorm(h, "layer.ln1");
        double[][] sn = layerNorm(s, "layer.ln1");
        double[][] keys = linear(sn, read("layer.attention.k.weight"), null, hd);
        double[][] values = linear(sn, read("layer.attention.v.weight"), null, hd);
        for (int t = 0; t < n; t++) {
            for (int hh = 0; hh < heads; hh++) {
                AttentionReference.rope(keys[t], hh * dh, t % seqLen, rot, c.ropeBase());
            }
        }
        double[] wq = read("layer.attention.q");
        double[] wo = read("layer.attention.o");
        double[][] y = copy(h);
        for (int t = 0; t < n; t++) {
            if (mask[t] == 0) {
                continue;
            }
            double[][] chosen = route(xn[t], "layer.attention.router", ss.attNExperts(), ss.attK());
            int b = t / seqLen;
            int pos = t % seqLen;
            for (double[] ch : chosen) {
                int e = (int) ch[0];
                double[] q = new double[hd];
                for (int i = 0; i < d; i++) {
                    for (int o = 0; o < hd; o++) {
                        q[o] += xn[t][i] * wq[(e * d + i) * hd + o];
                    }
                }
                double[] att = new double[hd];
                for (int hh = 0; hh < heads; hh++) {
                    AttentionReference.rope(q, hh * dh, pos, rot, c.ropeBase());
                    double[] score = new double[pos + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u <= pos; u++) {
                        double dot = 0;
                        for (int i = 0; i < dh; i++) {
                            dot += q[hh * dh + i] * keys[b * seqLen + u][hh * dh + i];
                        }
                        score[u] = dot / Math.sqrt(dh);
                        max = Math.max(max, score[u]);
                    }
                    double sum = 0;
                    for (int u = 0; u <= pos; u++) {
                        score[u] = Math.exp(score[u] - max);
                        sum += score[u];
                    }
                    for (int u = 0; u <= pos; u++) {
                        for (int i = 0; i < dh; i++) {
                            att[hh * dh + i] += score[u] / sum * values[b * seqLen + u][hh * dh + i];
                        }
                    }
                }
                for (int i = 0; i < hd; i++) {
                    for (int o = 0; o < d; o++) {
                        y[t][o] += ch[1] * att[i] * wo[(e * hd + i) * d + o];
                    }
                }
            }
        }
        double[][] yn = layerNorm(y, "layer.ln2");
        double[][] out = copy(y);
        double[] up = read("layer.ffn.up");
        double[] upB = read("layer.ffn.up_bias");
        double[] down = read("layer.ffn.down");
        double[] downB = read("layer.ffn.down_bias");
        int m = ss.ffExpertSize();
        for (int t = 0; t < n; t++) {
            if (mask[t] == 0) {
                continue;
            }
            for (double[] ch : route(yn[t], "layer.ffn.router", ss.ffNExperts(), ss.ffK())) {
                int e = (int) ch[0];
                double[] hid = new double[m];
                for (int j = 0; j < m; j++) {
                    double v = upB[e * m + j];
                    for (int i = 0; i < d; i++) {
                        v += yn[t][i] * up[(e * d + i) * m + j];
                    }
                    hid[j] = c.activation() == dev.ponder.core.nn.Activation.GELU ? gelu(v) : Math.max(0, v);
                }
                for (int o = 0; o < d; o++) {
                    double v = downB[e * d + o];
                    for (int j = 0; j < m; j++) {
                        v += hid[j] * down[(e * m + j) * d + o];
                    }
                    out[t][o] += ch[1] * v;
                }
            }
        }
        return out;
    }

    /** {expert, gate} of the k chosen: softmax of W_out tanh(W_h x + b), top k, g = p / (sum + 1e-6). */
    private double[][] route(double[] x, String name, int experts, int k) {
        double[] hidden = linear(new double[][] {x}, read(name + ".hidden.weight"), read(name + ".hidden.bias"), d)[0];
        for (int i = 0; i < d; i++) {
            hidden[i] = Math.tanh(hidden[i]);
        }
        double[] z = linear(new double[][] {hidden}, read(name + ".out.weight"), null, experts)[0];
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] prob = new double[experts];
        for (int e = 0; e < experts; e++) {
            prob[e] = Math.exp(z[e] - max);
            sum += prob[e];
        }
        boolean[] taken = new boolean[experts];
        double[][] out = new double[k][2];
        double chosen = 0;
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int e = 0; e < experts; e++) {
                if (!taken[e] && (best < 0 || prob[e] > prob[best])) {
                    best = e;
                }
            }
            taken[best] = true;
            out[j][0] = best;
            out[j][1] = prob[best] / sum;
            chosen += out[j][1];
        }
        for (double[] o : out) {
            o[1] /= chosen + 1e-6;
        }
        return out;
    }

    /** {log(1 - alpha), log alpha} per row: Linear(d, d) -> GELU -> Linear(d, 2) -> log-softmax. */
    private double[][] gate(double[][] x) {
        double[][] h = linear(x, read("layer.halt.hidden.weight"), read("layer.halt.hidden.bias"), d);
        for (double[] row : h) {
            for (int i = 0; i < d; i++) {
                row[i] = gelu(row[i]);
            }
        }
        double[][] z = linear(h, read("layer.halt.out.weight"), null, 2);
        for (double[] row : z) {
            double lse = Math.log(Math.exp(row[0]) + Math.exp(row[1]));
            row[0] -= lse;
            row[1] -= lse;
        }
        return z;
    }

    private double[][] layerNorm(double[][] x, String name) {
        double[] w = read(name + ".weight");
        double[] b = read(name + ".bias");
        double[][] y = new double[x.length][d];
        for (int t = 0; t < x.length; t++) {
            double mean = 0;
            for (double v : x[t]) {
                mean += v / d;
            }
            double var = 0;
            for (double v : x[t]) {
                var += (v - mean) * (v - mean) / d;
            }
            for (int i = 0; i < d; i++) {
                y[t][i] = (x[t][i] - mean) / Math.sqrt(var + 1e-5) * w[i] + b[i];
            }
        }
        return y;
    }

    /** x [n][in] W^T + b for a row-major W [out, in]. */
    private static double[][] linear(double[][] x, double[] w, double[] b, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < out; o++) {
                double v = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) {
                    v += x[t][i] * w[o * in + i];
                }
                y[t][o] = v;
            }
        }
        return y;
    }

    /** Exact GELU, x Phi(x). */
    private static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /** erf to double precision (Taylor series for |x| < 3, continued fraction beyond). */
    private static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            double term = ax;
            double sum = ax;
            for (int k = 1; k < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); k++) {
                term *= -ax * ax / k;
                sum += term / (2 * k + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double f = 0;
            for (int k = 60; k >= 1; k--) {
                f = k / 2.0 / (ax + f);
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
        }
        return x < 0 ? -r : r;
    }

    private double[] read(String name) {
        return HostArrays.read(p.value(name));
    }

    private static double[][] copy(double[][] a) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].clone();
        }
        return out;
    }
}
