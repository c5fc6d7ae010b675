package dev.ponder.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.prep.io.HadoopFiles;
import dev.ponder.prep.job.PrepOptions;
import dev.ponder.prep.job.PrepareCorpus;
import dev.ponder.prep.shard.Manifest;
import dev.ponder.prep.shard.ShardDataset;
import dev.ponder.spark.ckpt.CheckpointStore;
import dev.ponder.spark.config.ResolvedConfig;
import dev.ponder.spark.s3.S3ProxyServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shards, checkpoints and metrics through s3a against a real S3 server (S3Proxy on 127.0.0.1). */
class S3TrainingTest {
    static S3ProxyServer s3;
    static JavaSparkContext sc;
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory("ponder-s3");
        s3 = S3ProxyServer.start(work, List.of("ponder"));
        sc = TrainFixtures.spark("local[2]");
        s3.configure(sc.hadoopConfiguration());
    }

    @AfterAll
    static void stop() {
        sc.close();
        s3.close();
    }

    static org.apache.hadoop.fs.Path p(String uri) {
        return new org.apache.hadoop.fs.Path(uri);
    }

    @Test
    void prepTrainResumeAndEvaluateOnS3WithoutLeakingTheSecret(@TempDir Path tmp) throws Exception {
        Configuration conf = sc.hadoopConfiguration();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 1500; i++) {
            text.append("the member states vote on report ").append(i % 23).append(" today.\n");
        }
        Path corpus = tmp.resolve("c.txt");
        Files.writeString(corpus, text);
        String data = "s3a://ponder/data/small";
        PrepareCorpus.run(sc, new PrepOptions(List.of(corpus.toString()), data, "byte", 256, 16, 0.05, 0, 2, 200, false),
                s -> { });
        ShardDataset ds = ShardDataset.open(data, conf);
        assertTrue(ds.rows(Manifest.TRAIN) > 100);
        assertFalse(HadoopFiles.fs(p(data), conf).exists(p(data + "/_temporary")), "no temporary objects left");

        String run = "s3a://ponder/runs/dense";
        ResolvedConfig cfg = TrainFixtures.config(data, "train.workers=2", "train.steps=4", "train.checkpoint_every=2",
                "train.warmup_steps=1");
        StringWriter console = new StringWriter();
        new TrainDriver(sc, cfg, run, new PrintWriter(console)).run();
        CheckpointStore store = new CheckpointStore(p(run), conf);
        assertEquals(List.of(2L, 4L), store.committedSteps());
        float[] uninterrupted = store.load(4).params();

        // The driver "died" before step 4's commit object: only step 2 exists for readers.
        FileSystem fs = HadoopFiles.fs(p(run), conf);
        assertTrue(fs.delete(p(run + "/checkpoints/step-000000004/COMMIT"), false));
        assertEquals(List.of(2L), store.committedSteps());
        new TrainDriver(sc, cfg, run, new PrintWriter(console)).run();
        assertArrayEquals(uninterrupted, store.load(4).params(), 1e-6f);
        assertTrue(console.toString().contains("resuming"), console.toString());

        // The secret key is in the Hadoop configuration only: never in what the run wrote or printed.
        StringBuilder written = new StringBuilder(console.toString());
        for (FileStatus f : fs.listStatus(p(run))) {
            if (f.isFile()) {
                written.append(HadoopFiles.readString(f.getPath(), conf));
            }
        }
        written.append(HadoopFiles.readString(p(run + "/checkpoints/step-000000004/meta.json"), conf));
        assertTrue(written.toString().contains("\"loss\"") && written.toString().contains("\"cursors\""),
                "metrics.jsonl and meta.json were read");
        assertFalse(written.toString().contains(S3ProxyServer.SECRET_KEY), "the S3 secret leaked into the run");
        assertFalse(written.toString().contains(S3ProxyServer.ACCESS_KEY), "the S3 access key leaked into the run");
    }
}
