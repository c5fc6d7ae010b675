package dev.ponder.prep.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.prep.shard.Manifest;
import dev.ponder.prep.shard.ShardDataset;
import dev.ponder.prep.shard.ShardInfo;
import dev.ponder.prep.shard.WindowStream;
import dev.ponder.prep.tokenizer.BpeTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrepareCorpusTest {
    static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        sc = LocalSpark.start("local[2]");
    }

    @AfterAll
    static void stop() {
        sc.close();
    }

    /** Prose-like lines from a small vocabulary, one line of invalid UTF-8, one of CJK and emoji. */
    static List<byte[]> fixtureDocs(int n, long seed) {
        String[] words = {"the", "commission", "parliament", "vote", "Europe", "member", "states", "report", "on",
            "and", "of", "council", "we", "must", "agree", "2004", "12,5", "(1)", "-", "über", "Ärger"};
        SplittableRandom rnd = new SplittableRandom(seed);
        List<byte[]> docs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            int len = 3 + rnd.nextInt(25);
            for (int j = 0; j < len; j++) {
                sb.append(j == 0 ? "" : rnd.nextInt(10) == 0 ? ",  " : " ").append(words[rnd.nextInt(words.length)]);
            }
            docs.add(sb.append('.').toString().getBytes(StandardCharsets.UTF_8));
        }
        docs.add(new byte[] {'b', 'a', 'd', ' ', (byte) 0xff, (byte) 0xc3, ' ', (byte) 0x80, (byte) 0xe2, (byte) 0x82});
        docs.add("議会は 🇪🇺 投票した".getBytes(StandardCharsets.UTF_8));
        return docs;
    }

    static void writeLines(Path file, List<byte[]> docs, boolean gzip) throws Exception {
        try (OutputStream raw = Files.newOutputStream(file);
                OutputStream out = gzip ? new GZIPOutputStream(raw) : raw) {
            for (byte[] d : docs) {
                out.write(d);
                out.write('\n');
            }
        }
    }

    /** The token stream of one split, rebuilt from its windows (stride T: skip each window's first id). */
    static byte[] decodeSplit(ShardDataset ds, BpeTokenizer tok, String split) {
        Manifest m = ds.manifest();
        long rows = ds.rows(split);
        WindowStream s = ds.stream(split, 0, 1, WindowStream.startOf(ds, split, 0));
        List<Integer> ids = new ArrayList<>();
        int[] w = new int[m.window()];
        for (long r = 0; r < rows; r++) {
            s.next(w, 0);
            for (int j = r == 0 ? 0 : 1; j < w.length; j++) {
                ids.add(w[j]);
            }
        }
        int[] arr = ids.stream().mapToInt(Integer::intValue).toArray();
        return tok.decode(arr, 0, arr.length);
    }

    @Test
    void shardsHoldExactlyTheEncodedDocumentsOfEachSplit(@TempDir Path tmp) throws Exception {
        List<byte[]> docs = fixtureDocs(600, 7);
        Path input = tmp.resolve("corpus.txt.gz");
        writeLines(input, docs, true);
        PrepOptions opt = new PrepOptions(List.of(input.toString()), tmp.resolve("out").toString(), "bpe", 400, 16,
                0.1, 3, 1, 50, false);
        PrepareCorpus.Report report = PrepareCorpus.run(sc, opt, s -> { });
        ShardDataset ds = ShardDataset.open(report.outDir(), sc.hadoopConfiguration());
        Manifest m = ds.manifest();
        // The fixture has only ~20 distinct words: merges run out before 400.
        assertTrue(m.vocabSize() > 256 && m.vocabSize() <= 400, "vocab " + m.vocabSize());
        assertEquals(17, m.window());
        assertTrue(m.shardsOf(Manifest.TRAIN).size() > 1, "rows-per-shard 50 rolls over to several shards");
        BpeTokenizer tok = BpeTokenizer.fromJson(Files.readString(tmp.resolve("out/tokenizer.json")));
        assertEquals(m.tokenizerSha256(), tok.sha256());

        DocumentSplit splitter = new DocumentSplit(3, 0.1);
        ByteArrayOutputStream train = new ByteArrayOutputStream();
        ByteArrayOutputStream val = new ByteArrayOutputStream();
        for (byte[] d : docs) {
            ByteArrayOutputStream target = splitter.isValidation(d) ? val : train;
            target.write(d);
            target.write('\n');
        }
        assertTrue(val.size() > 0 && train.size() > val.size(), "both splits are used");
        assertPrefix(train.toByteArray(), decodeSplit(ds, tok, Manifest.TRAIN));
        assertPrefix(val.toByteArray(), decodeSplit(ds, tok, Manifest.VAL));
        Manifest.SplitStats st = m.splits().get(Manifest.TRAIN);
        assertEquals(train.size(), st.bytes());
        assertEquals(st.rows() * 16 + 1 + st.droppedTokens(), st.encodedTokens());
        assertFalse(Files.exists(tmp.resolve("out/_temporary")), "temporary files are cleaned up");
    }

    static void assertPrefix(byte[] whole, byte[] prefix) {
        assertTrue(prefix.length > 0 && prefix.length <= whole.length, "decoded " + prefix.length + " of " + whole.length);
        byte[] head = java.util.Arrays.copyOf(whole, prefix.length);
        assertArrayEquals(head, prefix);
        assertTrue(whole.length - prefix.length < 16 * 8, "only a partition tail is dropped");
    }

    @Test
    void refusesAnExistingOutputUnlessOverwriteIsGiven(@TempDir Path tmp) throws Exception {
        Path input = tmp.resolve("c.txt");
        writeLines(input, fixtureDocs(200, 1), false);
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "precious");
        PrepOptions opt = new PrepOptions(List.of(input.toString()), out.toString(), "byte", 256, 32, 0.0, 0, 0, 1000,
                false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PrepareCorpus.run(sc, opt, s -> { }));
        assertTrue(e.getMessage().contains("--out") && e.getMessage().contains("--overwrite"), e.getMessage());
        assertEquals("precious", Files.readString(out.resolve("keep.txt")), "nothing already written is lost");
        PrepOptions again = new PrepOptions(List.of(input.toString()), out.toString(), "byte", 256, 32, 0.0, 0, 0, 1000,
                true);
        PrepareCorpus.Report r = PrepareCorpus.run(sc, again, s -> { });
        assertEquals(256, r.manifest().vocabSize());
        assertTrue(r.manifest().splits().get(Manifest.VAL).rows() == 0);
    }

    @Test
    void missingAndEmptyInputsAreErrorsNamingThem(@TempDir Path tmp) throws Exception {
        String missing = tmp.resolve("nope/*.txt").toString();
        PrepOptions opt = new PrepOptions(List.of(missing), tmp.resolve("o1").toString(), "byte", 256, 8, 0.0, 0, 0, 100, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PrepareCorpus.run(sc, opt, s -> { }));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("o1")), "bad input creates no output");

        Path empty = tmp.resolve("empty.txt");
        Files.write(empty, new byte[0]);
        PrepOptions opt2 = new PrepOptions(List.of(empty.toString()), tmp.resolve("o2").toString(), "bpe", 300, 8, 0.0, 0, 0, 100, false);
        e = assertThrows(IllegalArgumentException.class, () -> PrepareCorpus.run(sc, opt2, s -> { }));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void optionsAreValidatedWithExpectedAndFound() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PrepOptions(List.of("x"), "o", "bpe", 100, 8, 0.0, 0, 0, 100, false));
        assertTrue(e.getMessage().contains("--vocab") && e.getMessage().contains("100"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new PrepOptions(List.of("x"), "o", "wordpiece", 300, 8, 0.0, 0, 0, 100, false));
        assertTrue(e.getMessage().contains("wordpiece"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new PrepOptions(List.of("x"), "o", "byte", 300, 8, 1.5, 0, 0, 100, false));
        assertTrue(e.getMessage().contains("--val-fraction"), e.getMessage());
    }

    @Test
    void documentSplitIsDeterministicAndNearTheFraction() {
        DocumentSplit s = new DocumentSplit(42, 0.2);
        int val = 0;
        for (int i = 0; i < 20000; i++) {
            byte[] d = ("doc " + i).getBytes(StandardCharsets.UTF_8);
            boolean v = s.isValidation(d);
            assertEquals(v, new DocumentSplit(42, 0.2).isValidation(d));
            val += v ? 1 : 0;
        }
        assertEquals(0.2, val / 20000.0, 0.015);
    }
}
