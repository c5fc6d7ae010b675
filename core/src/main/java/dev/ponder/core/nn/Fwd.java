package dev.ponder.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/** A forward result: the output and what the layer's backward needs (owned by the caller). */
public record Fwd<S>(INDArray out, S saved) {}
