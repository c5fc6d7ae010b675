package dev.ponder.prep.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

class ShardRoundTripTest {
    static byte[] writeShard(int[][] rows, int window, int batchRows) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ShardWriter w = new ShardWriter(out, window, batchRows)) {
            for (int[] r : rows) {
                w.write(r, 0);
            }
        }
        return out.toByteArray();
    }

    static int[][] randomRows(int n, int window, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] rows = new int[n][window];
        for (int[] r : rows) {
            for (int j = 0; j < window; j++) {
                r[j] = rnd.nextInt(70000);
            }
        }
        return rows;
    }

    @Test
    void rowsSurviveWriteAndReadAcrossRecordBatches() {
        int window = 9;
        int[][] rows = randomRows(1000, window, 1);
        byte[] file = writeShard(rows, window, 64); // 16 batches, the last partial
        ShardFile shard = ShardFile.decode("mem", file, window);
        assertEquals(1000, shard.rows());
        int[] got = new int[window];
        for (int i = 0; i < rows.length; i++) {
            shard.copyRow(i, got, 0);
            assertArrayEquals(rows[i], got, "row " + i);
        }
    }

    @Test
    void emptyShardHasNoRows() {
        assertEquals(0, ShardFile.decode("mem", writeShard(new int[0][], 5, 8), 5).rows());
    }

    @Test
    void truncatedFileIsAnErrorNamingTheFile() {
        byte[] file = writeShard(randomRows(100, 9, 2), 9, 32);
        byte[] cut = Arrays.copyOf(file, file.length / 2);
        ShardFormatException e = assertThrows(ShardFormatException.class, () -> ShardFile.decode("s3a://b/x.arrow", cut, 9));
        assertTrue(e.getMessage().contains("s3a://b/x.arrow"), e.getMessage());
    }

    @Test
    void wrongWindowIsAnErrorWithExpectedAndFound() {
        byte[] file = writeShard(randomRows(10, 9, 3), 9, 32);
        ShardFormatException e = assertThrows(ShardFormatException.class, () -> ShardFile.decode("f.arrow", file, 17));
        assertTrue(e.getMessage().contains("f.arrow") && e.getMessage().contains("expected"), e.getMessage());
    }

    @Test
    void foreignArrowFileIsRejected() throws Exception {
        Schema foreign = new Schema(List.of(new Field("x", FieldType.notNullable(new ArrowType.Int(32, true)), null)),
                Map.of());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (RootAllocator alloc = new RootAllocator();
                VectorSchemaRoot root = VectorSchemaRoot.create(foreign, alloc);
                ArrowFileWriter w = new ArrowFileWriter(root, null, Channels.newChannel(out))) {
            w.start();
            IntVector v = (IntVector) root.getVector(0);
            v.allocateNew(3);
            v.set(0, 1);
            v.set(1, 2);
            v.set(2, 3);
            v.setValueCount(3);
            root.setRowCount(3);
            w.writeBatch();
            w.end();
        }
        ShardFormatException e = assertThrows(ShardFormatException.class,
                () -> ShardFile.decode("other.arrow", out.toByteArray(), 9));
        assertTrue(e.getMessage().contains("other.arrow") && e.getMessage().contains("not a Ponder token shard"),
                e.getMessage());
    }

    @Test
    void notArrowAtAllIsRejected() {
        byte[] text = "hello, this is a text file\n".getBytes();
        ShardFormatException e = assertThrows(ShardFormatException.class, () -> ShardFile.decode("notes.txt", text, 9));
        assertTrue(e.getMessage().startsWith("notes.txt"), e.getMessage());
    }
}
