package dev.ponder.core.model;

/**
 * A family whose evaluation can also run in training mode: its auxiliary losses computed as
 * training computes them and returned as {@link EvalStats#auxLoss()} (no sampling: expert dropout
 * stays off), so that meanLoss + auxLoss is the training objective. Plain evaluation is
 * {@code trainingMode} false.
 */
public interface TrainingModeEval extends LanguageModel {
    EvalStats evaluate(int[] tokens, int batch, int seqLenPlusOne, boolean withLogits, boolean trainingMode);

    @Override
    default EvalStats evaluate(int[] tokens, int batch, int seqLenPlusOne, boolean withLogits) {
        return evaluate(tokens, batch, seqLenPlusOne, withLogits, false);
    }
}
