package dev.ponder.prep.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WindowStreamTest {
    static final int WINDOW = 5;
    final Configuration conf = new Configuration();

    /** Row r of the dataset holds ids r*10 .. r*10+4, spread over shards of the given sizes. */
    ShardDataset dataset(Path dir, int... shardRows) throws Exception {
        Files.createDirectories(dir.resolve("shards"));
        List<ShardInfo> infos = new ArrayList<>();
        int row = 0;
        for (int s = 0; s < shardRows.length; s++) {
            int[][] rows = new int[shardRows[s]][WINDOW];
            for (int[] r : rows) {
                for (int j = 0; j < WINDOW; j++) {
                    r[j] = row * 10 + j;
                }
                row++;
            }
            byte[] bytes = ShardRoundTripTest.writeShard(rows, WINDOW, 3);
            String rel = "shards/train-" + s + ".arrow";
            Files.write(dir.resolve(rel), bytes);
            infos.add(new ShardInfo(rel, Manifest.TRAIN, rows.length, (long) rows.length * WINDOW,
                    ShardDataset.sha256(bytes)));
        }
        Manifest m = new Manifest(ShardSchema.VERSION, WINDOW - 1, WINDOW, 300, "tokenizer.json", "x", "byte", 0, 0.0,
                List.of("test"), Manifest.totals(infos, new HashMap<>()), infos, "now");
        m.write(new org.apache.hadoop.fs.Path(dir.toUri()), conf);
        return ShardDataset.open(dir.toString(), conf);
    }

    static int rowId(int[] window) {
        return window[0] / 10;
    }

    @Test
    void slicesPartitionTheRowsAndWrapIntoTheNextEpoch(@TempDir Path dir) throws Exception {
        ShardDataset ds = dataset(dir, 4, 3, 5); // 12 rows
        Set<Integer> seen = new HashSet<>();
        int[] w = new int[WINDOW];
        for (int slice = 0; slice < 3; slice++) {
            WindowStream s = ds.stream(Manifest.TRAIN, slice, 3, WindowStream.startOf(ds, Manifest.TRAIN, slice));
            for (int i = 0; i < 4; i++) {
                s.next(w, 0);
                assertEquals(slice + 3 * i, rowId(w));
                assertTrue(seen.add(rowId(w)));
            }
            assertEquals(1, s.position().epoch());
            s.next(w, 0);
            assertEquals(slice, rowId(w), "wraps to the slice's first row");
        }
        assertEquals(12, seen.size());
    }

    @Test
    void aStreamResumedFromItsCursorYieldsTheSameWindows(@TempDir Path dir) throws Exception {
        ShardDataset ds = dataset(dir, 4, 3, 5);
        WindowStream a = ds.stream(Manifest.TRAIN, 1, 2, WindowStream.startOf(ds, Manifest.TRAIN, 1));
        int[] w = new int[WINDOW];
        for (int i = 0; i < 7; i++) {
            a.next(w, 0);
        }
        Cursor saved = a.position();
        WindowStream b = ds.stream(Manifest.TRAIN, 1, 2, saved);
        int[] batchA = a.nextBatch(9, null);
        int[] batchB = b.nextBatch(9, null);
        assertArrayEquals(batchA, batchB);
        assertEquals(a.position(), b.position());
    }

    @Test
    void corruptShardIsDetectedByItsDigest(@TempDir Path dir) throws Exception {
        ShardDataset ds = dataset(dir, 4);
        Path shard = dir.resolve("shards/train-0.arrow");
        byte[] bytes = Files.readAllBytes(shard);
        bytes[bytes.length / 2] ^= 1;
        Files.write(shard, bytes);
        WindowStream s = ds.stream(Manifest.TRAIN, 0, 1, Cursor.START);
        ShardFormatException e = assertThrows(ShardFormatException.class, () -> s.next(new int[WINDOW], 0));
        assertTrue(e.getMessage().contains("train-0.arrow") && e.getMessage().contains("sha256"), e.getMessage());
    }

    @Test
    void missingShardIsAnErrorNamingIt(@TempDir Path dir) throws Exception {
        ShardDataset ds = dataset(dir, 4, 2);
        Files.delete(dir.resolve("shards/train-1.arrow"));
        WindowStream s = ds.stream(Manifest.TRAIN, 0, 1, new Cursor(0, 1, 0));
        ShardFormatException e = assertThrows(ShardFormatException.class, () -> s.next(new int[WINDOW], 0));
        assertTrue(e.getMessage().contains("train-1.arrow"), e.getMessage());
    }

    @Test
    void missingManifestSaysTheDirectoryIsNotAPrepOutput(@TempDir Path dir) {
        ShardFormatException e = assertThrows(ShardFormatException.class, () -> ShardDataset.open(dir.toString(), conf));
        assertTrue(e.getMessage().contains("manifest.json"), e.getMessage());
    }

    @Test
    void manifestRoundTripsThroughJson(@TempDir Path dir) throws Exception {
        ShardDataset ds = dataset(dir, 2, 2);
        String json = ds.manifest().toJson();
        assertTrue(json.contains("\"schema_version\""), json);
        assertEquals(ds.manifest(), Manifest.fromJson(json, "x"));
        Map<String, Manifest.SplitStats> splits = ds.manifest().splits();
        assertEquals(4, splits.get(Manifest.TRAIN).rows());
    }
}
