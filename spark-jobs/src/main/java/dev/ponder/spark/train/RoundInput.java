package dev.ponder.spark.train;

import dev.ponder.prep.shard.Cursor;
import java.io.Serializable;
import java.util.List;

/**
 * The broadcast of one averaging round.
 *
 * @param step optimizer steps completed before the round
 * @param localSteps steps each worker takes in this round
 * @param params averaged flat parameters
 * @param optimizerState averaged flat optimizer state
 * @param cursors data cursor of each worker (index = partition)
 */
public record RoundInput(long step, int localSteps, float[] params, float[] optimizerState, List<Cursor> cursors)
        implements Serializable {}
