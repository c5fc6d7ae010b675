package dev.ponder.spark.ckpt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
    final Configuration conf = new Configuration();

    static CheckpointData data(long step) {
        float[] p = new float[1000];
        float[] o = new float[2000];
        for (int i = 0; i < p.length; i++) {
            p[i] = step + i * 1e-3f;
        }
        for (int i = 0; i < o.length; i++) {
            o[i] = -step - i;
        }
        return new CheckpointData(step, p, o, "{\"step\": " + step + "}");
    }

    CheckpointStore store(Path dir) {
        return new CheckpointStore(new org.apache.hadoop.fs.Path(dir.toUri()), conf);
    }

    @Test
    void writtenCheckpointLoadsBackBitwise(@TempDir Path dir) {
        CheckpointStore s = store(dir);
        s.write(data(10));
        CheckpointData got = s.loadLatest(w -> { }).orElseThrow();
        assertEquals(10, got.step());
        assertArrayEquals(data(10).params(), got.params());
        assertArrayEquals(data(10).optimizerState(), got.optimizerState());
        assertEquals(data(10).metaJson(), got.metaJson());
    }

    @Test
    void uncommittedStepIsInvisible(@TempDir Path dir) throws Exception {
        CheckpointStore s = store(dir);
        s.write(data(5));
        s.write(data(10));
        Files.delete(dir.resolve("checkpoints/step-000000010/COMMIT")); // as if killed before the commit
        assertEquals(List.of(5L), s.committedSteps());
        assertEquals(5, s.loadLatest(w -> { }).orElseThrow().step());
    }

    @Test
    void corruptNewestFallsBackToThePreviousSayingSo(@TempDir Path dir) throws Exception {
        CheckpointStore s = store(dir);
        s.write(data(5));
        s.write(data(10));
        Path params = dir.resolve("checkpoints/step-000000010/params.f32");
        byte[] b = Files.readAllBytes(params);
        b[17] ^= 0x40;
        Files.write(params, b);
        List<String> warnings = new ArrayList<>();
        assertEquals(5, s.loadLatest(warnings::add).orElseThrow().step());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("params.f32") && warnings.get(0).contains("falling back"), warnings.get(0));
        // Hadoop's local checksums or our sha256 catch it, whichever reads first.
        RuntimeException e = assertThrows(RuntimeException.class, () -> s.load(10));
        assertTrue(e.getMessage().contains("params.f32"), e.getMessage());
    }

    @Test
    void pruneKeepsTheNewestCommittedAndLeavesUncommittedAlone(@TempDir Path dir) throws Exception {
        CheckpointStore s = store(dir);
        for (long step : new long[] {1, 2, 3, 4}) {
            s.write(data(step));
        }
        Files.createDirectories(dir.resolve("checkpoints/step-000000000")); // an uncommitted leftover
        assertEquals(List.of(1L, 2L), s.prune(2));
        assertEquals(List.of(3L, 4L), s.committedSteps());
        assertTrue(Files.exists(dir.resolve("checkpoints/step-000000000")));
    }

    @Test
    void aCommittedStepIsNeverOverwritten(@TempDir Path dir) {
        CheckpointStore s = store(dir);
        s.write(data(3));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.write(data(3)));
        assertTrue(e.getMessage().contains("step-000000003"), e.getMessage());
    }

    @Test
    void emptyRunDirHasNoCheckpoint(@TempDir Path dir) {
        assertTrue(store(dir).loadLatest(w -> { }).isEmpty());
    }
}
