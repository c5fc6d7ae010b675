package dev.ponder.spark.train;

/** Training produced a non-finite loss or gradient; the message names the step and the last good checkpoint. */
public final class TrainingDiverged extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TrainingDiverged(String message) {
        super(message);
    }
}
