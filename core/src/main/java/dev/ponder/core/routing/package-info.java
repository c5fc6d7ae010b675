/**
 * Routing as a contract, dispatch as named steps.
 *
 * <p>A router turns logits into a {@link dev.ponder.core.routing.Routing} (gates [R, k] with
 * gradient, experts [R*k] chosen without gradient, counts per expert):
 * {@link dev.ponder.core.routing.SigmoidTopK} (σ-MoE / SwitchHead, with expert dropout) and
 * {@link dev.ponder.core.routing.SoftmaxTopK} (Switch / GShard, with renormalisation, load-balancing
 * and z losses), optionally limited by {@link dev.ponder.core.routing.Capacity}.
 *
 * <p>Mixture-of-Depths routes tokens, not experts: {@link dev.ponder.core.routing.TopC} picks each
 * sequence's top-C tokens by router score (in position order, so a block can run them as a shorter
 * causal sequence), {@link dev.ponder.core.routing.RowGather} gathers them and adds the block's
 * update back ({@code addRows}).
 *
 * <p>Dispatch: {@link dev.ponder.core.routing.DispatchPlan} sorts the slots by expert
 * ({@link dev.ponder.core.routing.SlotSort}, a counting sort) and groups them by input and output
 * row; {@link dev.ponder.core.routing.RowGather} moves rows; {@link dev.ponder.core.routing.ExpertMatmul}
 * runs one gemm per expert over its contiguous rows; {@link dev.ponder.core.routing.Dispatcher}
 * (linear experts) and {@link dev.ponder.core.routing.ExpertMlp} (two-layer experts) chain them,
 * forward and backward. Only routed slots are gathered and multiplied; the executed multiply-adds
 * are returned for the executed FLOP counter.
 *
 * <p>{@link dev.ponder.core.routing.DispatchReference} is the slow per-slot loop the fast path is
 * tested against. {@link dev.ponder.core.routing.EntropyRegularizer} is MoEUT's load-balancing
 * regulariser; {@link dev.ponder.core.routing.RouterInit} its router initialisation.
 *
 * <p>Routing work (top-k, sorting, regularisers, row gathers) runs on the host over Java arrays
 * copied in bulk or directly on the arrays' native memory: it is O(rows * experts) with no
 * arithmetic intensity, where ND4J's per-op cost (15-30 µs) and its slow gather would dominate; large
 * pieces are split over the task's threads ({@link dev.ponder.core.tensor.HostParallel}) while
 * ND4J's threads are idle. The matmuls stay in ND4J. Expert matrices are addressed through
 * {@link dev.ponder.core.routing.Views} (ND4J's slice() is wrong on parameter views).
 */
package dev.ponder.core.routing;
