package dev.ponder.prep.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ponder.prep.shard.Manifest;
import dev.ponder.prep.shard.ShardDataset;
import dev.ponder.prep.shard.ShardInfo;
import dev.ponder.prep.shard.WindowStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in Europarl sample through the real job, and its shards read back by an independent
 * Arrow implementation (pyarrow), which must see the same schema and the same ids.
 */
class SampleCorpusInteropTest {
    static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        sc = LocalSpark.start("local[2]");
    }

    @AfterAll
    static void stop() {
        sc.close();
    }

    @Test
    void builtInSampleIsPreparedAndPyarrowReadsTheSameWindows(@TempDir Path tmp) throws Exception {
        assertEquals(17597, CorpusSource.sampleLines().size(), "the Europarl sample's line count");
        PrepOptions opt = new PrepOptions(List.of(CorpusSource.SAMPLE), tmp.resolve("ep").toString(), "byte", 256, 128,
                0.01, 0, 2, 40000, false);
        PrepareCorpus.Report r = PrepareCorpus.run(sc, opt, s -> { });
        Manifest m = r.manifest();
        long bytes = m.splits().get(Manifest.TRAIN).bytes() + m.splits().get(Manifest.VAL).bytes();
        assertEquals(21012848, bytes, "every byte of the sample (with newlines) is encoded");
        assertTrue(m.splits().get(Manifest.VAL).rows() > 0);

        ShardDataset ds = ShardDataset.open(r.outDir(), sc.hadoopConfiguration());
        ShardInfo first = m.shardsOf(Manifest.TRAIN).get(0);
        int[] row0 = new int[m.window()];
        ds.stream(Manifest.TRAIN, 0, 1, WindowStream.startOf(ds, Manifest.TRAIN, 0)).next(row0, 0);
        long sum = 0;
        for (int v : row0) {
            sum += v;
        }

        assumeTrue(pyarrowAvailable(), "pyarrow is not installed (.ci/run installs it): interop not checked");
        Path script = tmp.resolve("read.py");
        Files.writeString(script, String.join("\n",
                "import sys, pyarrow as pa, pyarrow.ipc as ipc",
                "t = ipc.open_file(sys.argv[1]).read_all()",
                "col = t.column('tokens')",
                "print(t.num_rows, col.type, t.schema.metadata[b'ponder.schema_version'].decode(), sum(col[0].as_py()))",
                ""));
        Path shard = Path.of(java.net.URI.create(r.outDir() + "/" + first.path()));
        String out = run("python3", script.toString(), shard.toString());
        assertEquals(first.rows() + " fixed_size_list<item: int32 not null>[129] 1 " + sum, out.trim());
    }

    static boolean pyarrowAvailable() {
        try {
            return run("python3", "-c", "import pyarrow; print('ok')").trim().equals("ok");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static String run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }
}
