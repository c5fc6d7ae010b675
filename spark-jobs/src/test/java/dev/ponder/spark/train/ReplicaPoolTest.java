package dev.ponder.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.train.LocalTrainer;
import dev.ponder.prep.shard.Manifest;
import dev.ponder.prep.shard.ShardDataset;
import dev.ponder.prep.shard.WindowStream;
import dev.ponder.spark.config.ResolvedConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A replica kept from an earlier round computes exactly what a fresh one does. */
class ReplicaPoolTest {
    static Path tmp;
    static String data;

    @BeforeAll
    static void corpus() throws Exception {
        tmp = Files.createTempDirectory("ponder-pool");
        try (JavaSparkContext sc = TrainFixtures.spark("local[1]")) {
            data = TrainFixtures.prepareCorpus(sc, tmp, 16);
        }
    }

    @AfterAll
    static void cleanUp() throws Exception {
        ReplicaPool.clear();
        try (Stream<Path> s = Files.walk(tmp)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static TrainPlan plan(String... sets) {
        return plan(TrainFixtures.config(data, sets));
    }

    /** A small MoEUT (routing statistics, entropy regulariser and expert dropout streams). */
    static TrainPlan moeut() {
        String yaml = String.join("\n",
                "seed: 5",
                "data: {path: '" + data + "'}",
                "train: {steps: 6, batch_size: 4, seq_len: 16, lr: 3.0e-3, warmup_steps: 2, workers: 1}",
                "model: {family: moeut, vocab_size: 256, d_model: 32, n_layers: 2, n_heads: 2, d_head: 16,",
                "        group_size: 2, ff_n_experts: 4, ff_expert_size: 8, ff_k: 2, att_n_experts: 2, att_k: 1,",
                "        entropy_reg: 0.01, att_entropy_reg: 0.001, context_length: 64}",
                "");
        return plan(dev.ponder.spark.config.ConfigLoader.resolve(yaml, "moeut fixture", List.of(),
                dev.ponder.spark.config.RunSchema::forRaw));
    }

    static TrainPlan plan(ResolvedConfig cfg) {
        return TrainPlan.of(ModelConfig.fromMap(cfg.section("model")), TrainSettings.from(cfg),
                ShardDataset.open(data, new Configuration()), 1);
    }

    /** The round-0 broadcast of a plan, or a perturbed one (other weights, moments, step, cursor). */
    static RoundInput input(TrainPlan plan, boolean perturbed) {
        LocalTrainer t = plan.newTrainer();
        float[] params = t.model().params().paramsToArray();
        float[] moments = new float[t.optimizerStateSize()];
        if (perturbed) {
            for (int i = 0; i < params.length; i++) {
                params[i] *= 1.5f;
                moments[i] = 1e-3f;
            }
        }
        return new RoundInput(perturbed ? 3 : 0, 3, params, moments,
                List.of(WindowStream.startOf(plan.data(), Manifest.TRAIN, 0)));
    }

    static void assertSameResult(RoundResult expected, RoundResult actual, String what) {
        assertArrayEquals(expected.params, actual.params, 0f, what + ": parameters");
        assertArrayEquals(expected.optimizerState, actual.optimizerState, 0f, what + ": optimizer state");
        assertArrayEquals(expected.ceLoss, actual.ceLoss, 0.0, what + ": losses");
        assertArrayEquals(expected.auxLoss, actual.auxLoss, 0.0, what + ": aux losses");
    }

    @Test
    void keptReplicasOfPooledFamiliesMatchFreshOnes() {
        for (TrainPlan plan : new TrainPlan[] {plan("train.workers=1"), moeut()}) {
            RoundInput a = input(plan, false);
            RoundInput b = input(plan, true);
            ReplicaPool.clear();
            RoundResult fresh = PartitionTrainer.train(plan, a, 0);
            PartitionTrainer.train(plan, b, 0); // the kept replica trains on other state in between
            RoundResult kept = PartitionTrainer.train(plan, a, 0);
            assertSameResult(fresh, kept, plan.modelConfig().family());
            ReplicaPool.clear();
            assertSameResult(PartitionTrainer.train(plan, b, 0), PartitionTrainer.train(plan, b, 0),
                    plan.modelConfig().family() + " (perturbed)");
        }
    }

    @Test
    void aReplicaIsReusedOnlyForTheSamePlan() {
        ReplicaPool.clear();
        TrainPlan p = plan("train.workers=1");
        RoundInput in = input(p, false);
        LocalTrainer first = ReplicaPool.borrow(p, in.params(), in.optimizerState(), 0);
        ReplicaPool.giveBack(p, first);
        assertSame(first, ReplicaPool.borrow(p, in.params(), in.optimizerState(), 0), "same plan: kept");
        ReplicaPool.giveBack(p, first);
        TrainPlan other = plan("train.workers=1", "train.lr=1e-2");
        RoundInput otherIn = input(other, false);
        assertNotSame(first, ReplicaPool.borrow(other, otherIn.params(), otherIn.optimizerState(), 0),
                "another plan (learning rate): a new replica");
    }
}
