package dev.ponder.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.model.ModelFactory;
import dev.ponder.core.optim.AdamW;
import dev.ponder.core.optim.LrSchedule;
import dev.ponder.core.train.LocalTrainer;
import dev.ponder.core.width.ConfidenceHistory;
import dev.ponder.prep.shard.Cursor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The round's broadcast and result survive Java serialization bit for bit (bulk float arrays). */
class RoundSerializationTest {
    @SuppressWarnings("unchecked")
    static <T> T roundTrip(T value) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    static byte[] bytes(Object value) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        return bytes.toByteArray();
    }

    static float[] floats(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        if (n > 3) {
            v[0] = Float.NaN;
            v[1] = -0.0f;
            v[2] = Float.NEGATIVE_INFINITY;
            v[n - 1] = Float.MIN_VALUE;
        }
        return v;
    }

    @Test
    void roundInputKeepsEveryBit() throws Exception {
        for (int n : new int[] {0, 1, 16 * 1024, 16 * 1024 + 7, 100_003}) {
            RoundInput in = new RoundInput(42, 3, floats(n, n), floats(2 * n, n + 1),
                    List.of(new Cursor(1, 2, 3), new Cursor(0, 0, 5)));
            RoundInput back = roundTrip(in);
            assertEquals(in.step(), back.step());
            assertEquals(in.localSteps(), back.localSteps());
            assertEquals(in.cursors(), back.cursors());
            assertArrayEquals(in.params(), back.params(), 0f);
            assertArrayEquals(in.optimizerState(), back.optimizerState(), 0f);
            assertEquals(null, back.history());
        }
    }

    @Test
    void roundInputCarriesTheConfidenceHistoryAndResultsTheirVisits() throws Exception {
        ConfidenceHistory h = new ConfidenceHistory(3);
        ConfidenceHistory.Visits v = new ConfidenceHistory.Visits();
        v.add(-5L, 0.25);
        v.add(Long.MAX_VALUE, 0.75);
        v.add(-5L, 0.5);
        h.apply(v);
        RoundInput back = roundTrip(new RoundInput(1, 1, floats(3, 1), floats(6, 2), List.of(Cursor.START), h));
        assertEquals(2, back.history().size());
        assertArrayEquals(new float[] {0.25f, 0.5f}, back.history().get(-5L).recent(), 0f);
        RoundResult r = new RoundResult(floats(3, 1), floats(6, 2), 1);
        r.visits = v;
        RoundResult other = new RoundResult(floats(3, 1), floats(6, 2), 1);
        other.visits = new ConfidenceHistory.Visits();
        other.visits.add(9L, 0.125);
        RoundResult merged = roundTrip(r).merge(roundTrip(other));
        assertEquals(3, merged.visits.windows());
        assertArrayEquals(new float[] {0.125f}, merged.visits.of(9L), 0f);
    }

    @Test
    void roundResultKeepsEveryBitAndItsOtherFields() throws Exception {
        RoundResult r = new RoundResult(floats(50_001, 1), floats(100_002, 2), 2);
        r.ceLoss[1] = 3.5;
        r.stepTokens[0] = 17;
        r.tokens = 99;
        r.replicas = 1;
        r.cursors.put(0, new Cursor(0, 1, 2));
        r.scalars.put("balance", 0.25);
        r.failure = "none";
        RoundResult back = roundTrip(r);
        assertArrayEquals(r.params, back.params, 0f);
        assertArrayEquals(r.optimizerState, back.optimizerState, 0f);
        assertArrayEquals(r.ceLoss, back.ceLoss);
        assertArrayEquals(r.stepTokens, back.stepTokens);
        assertEquals(99, back.tokens);
        assertEquals(r.cursors, back.cursors);
        assertEquals(r.scalars, back.scalars);
        assertEquals("none", back.failure);
    }

    /** A worker's result streamed from its replica's native buffers: the bytes of the copied arrays. */
    @Test
    void replicaBackedResultSerializesAndMergesLikeItsCopiedArrays() throws Exception {
        ModelConfig config = ModelConfig.fromMap(Map.of("family", "dense", "vocab_size", 64, "d_model", 32,
                "n_layers", 1, "n_heads", 2, "d_ff", 64, "context_length", 8));
        LocalTrainer t = new LocalTrainer(ModelFactory.create(config, 3), AdamW.Config.defaults(),
                LrSchedule.constant(1e-2), 1.0);
        int[] tokens = new int[2 * 8]; // batch 2 x window 8 (T + 1 ids per row)
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 7) % 64;
        }
        t.step(tokens, 2, 8); // a non-zero optimizer state
        float[] params = new float[Math.toIntExact(t.model().params().size())];
        float[] state = new float[t.optimizerStateSize()];
        t.saveParams(params);
        t.saveOptimizerState(state);
        RoundResult copied = new RoundResult(params, state, 1);
        RoundResult streamed = RoundResult.ofReplica(t, 1);
        assertArrayEquals(bytes(copied), bytes(streamed));
        RoundResult back = roundTrip(streamed);
        assertArrayEquals(params, back.params, 0f);
        assertArrayEquals(state, back.optimizerState, 0f);
        // Merged or averaged in the same JVM (never serialized), it copies the replica's arrays first.
        RoundResult local = RoundResult.ofReplica(t, 1);
        local.replicas = 1;
        RoundResult other = new RoundResult(params.clone(), state.clone(), 1);
        other.replicas = 1;
        local.merge(other).average();
        assertArrayEquals(params, local.params, 0f);
        assertArrayEquals(state, local.optimizerState, 0f);
    }
}
