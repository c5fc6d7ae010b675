package dev.ponder.core.params;

import dev.ponder.core.tensor.Rng;
import org.nd4j.linalg.api.ndarray.INDArray;

/** How a parameter tensor is initialised; applied with the tensor's own RNG stream. */
public record Init(Kind kind, double value) {
    public enum Kind { NORMAL, UNIFORM, CONSTANT }

    /** N(0, std^2). */
    public static Init normal(double std) {
        return new Init(Kind.NORMAL, std);
    }

    /** U(-bound, bound). */
    public static Init uniform(double bound) {
        return new Init(Kind.UNIFORM, bound);
    }

    public static Init constant(double v) {
        return new Init(Kind.CONSTANT, v);
    }

    public static Init zeros() {
        return constant(0.0);
    }

    public static Init ones() {
        return constant(1.0);
    }

    /** Fills {@code target} (a contiguous view) from {@code rng}. */
    public void apply(INDArray target, Rng rng) {
        switch (kind) {
            case NORMAL -> rng.fillNormal(target, 0.0, value);
            case UNIFORM -> rng.fillUniform(target, -value, value);
            case CONSTANT -> target.assign(value);
        }
    }
}
