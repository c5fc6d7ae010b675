/**
 * Layers with explicit forward and backward passes on ND4J arrays.
 *
 * <p>Contract shared by every layer (later families depend on it):
 * <ul>
 *   <li>Layers hold parameters, never activations. {@code forward} returns the output plus a small
 *       {@code Saved} record with what backward needs ({@link dev.ponder.core.nn.Fwd}); the caller
 *       keeps it. A universal transformer applies one layer R times and keeps R records; MoD applies
 *       a block to a subset of rows; SUT masks rows: none of that needs layer state.</li>
 *   <li>{@code backward(saved, dOut)} returns the gradient with respect to the input and
 *       <em>accumulates</em> ({@code +=}) parameter gradients into the flat gradient buffer views,
 *       so a layer shared across repeats sums its gradients naturally.</li>
 *   <li>Activations are 2-D [N, d] with N = B*T rows; attention takes B and T explicitly.</li>
 *   <li>Arrays are in the parameters' data type (FLOAT to train, DOUBLE for gradient checks).
 *       Temporaries are allocated freely: a step runs inside a
 *       {@link dev.ponder.core.tensor.StepWorkspace}, where allocation is free.</li>
 *   <li>Backward never modifies {@code dOut} or the saved arrays: a residual block passes the same
 *       gradient to its branch and to its skip path.</li>
 * </ul>
 * Every layer has a finite-difference gradient check in double precision; fast kernels have a slow
 * reference next to them and a test cross-checking the two.
 */
package dev.ponder.core.nn;
