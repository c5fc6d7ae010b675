package dev.ponder.spark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.model.FlopCount;
import dev.ponder.core.model.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The run configurations shipped under conf/model and conf/bench load and describe the paper's models. */
class ShippedModelConfigsTest {
    private static ResolvedConfig load(String file) throws Exception {
        Path p = Path.of("..", "conf").resolve(file);
        return ConfigLoader.resolve(Files.readString(p), p.toString(), List.of(), RunSchema::forRaw);
    }

    private static ModelConfig model(String file) throws Exception {
        return ModelConfig.fromMap(load(file).section("model"));
    }

    @Test
    void paperModelsHaveThePapersComputePerForward() throws Exception {
        ModelConfig moeut = model("model/moeut-44m.yaml");
        ModelConfig dense = model("model/dense-44m.yaml");
        assertEquals(46.2, Math.round(FlopCount.moeutMacsPerToken(moeut, 1024) * 1024 / 1e8) / 10.0, 0);
        assertEquals(52.5, Math.round(FlopCount.denseMacsPerToken(dense, 1024) * 1024 / 1e8) / 10.0, 0);
        ResolvedConfig c = load("model/moeut-44m.yaml");
        assertEquals(64, c.getInt("train.batch_size"));
        assertEquals(0.1, c.getDouble("train.grad_clip"), 0);
        assertEquals(12, moeut.moeut().ffK());
    }

    @Test
    void tinyConfigsLoad() throws Exception {
        assertEquals(4, model("model/moeut-tiny.yaml").moeut().repeats(8));
        assertEquals(1.25, model("model/moe-tiny.yaml").moe().capacityFactor(), 0);
        ModelConfig bench = model("bench/moeut-tiny.yaml");
        assertEquals(64, bench.moeut().ffNExperts());
        assertEquals(256, load("bench/moeut-tiny.yaml").getInt("train.seq_len"));
    }

    /** mod-tiny is its dense control with every other block routed: same trunk, data and training. */
    @Test
    void modTinyIsItsDenseControlWithRoutedBlocks() throws Exception {
        ResolvedConfig mod = load("model/mod-tiny.yaml");
        ResolvedConfig dense = load("model/dense-tiny.yaml");
        ModelConfig m = ModelConfig.fromMap(mod.section("model"));
        ModelConfig d = ModelConfig.fromMap(dense.section("model"));
        assertEquals(d, m.toBuilder().family("dense").mod(null).build(), "same trunk");
        assertEquals(dense.section("train"), mod.section("train"));
        assertEquals(dense.getString("data.path"), mod.getString("data.path"));
        assertEquals(0.125, m.mod().capacity(), 0);
        assertEquals(2, m.mod().every());
        int t = mod.getInt("train.seq_len");
        assertEquals(7.3, Math.round(FlopCount.denseMacsPerToken(d, t) / 1e5) / 10.0, 0);
        assertEquals(4.1, Math.round(FlopCount.modMacsPerToken(m, t) / 1e5) / 10.0, 0);
    }

    /** MoD around MoEUT is a config: mod-moeut-tiny is moeut-tiny with every other application routed. */
    @Test
    void modMoeutTinyIsMoeutTinyWithRoutedApplications() throws Exception {
        ResolvedConfig mod = load("model/mod-moeut-tiny.yaml");
        ResolvedConfig moeut = load("model/moeut-tiny.yaml");
        ModelConfig m = ModelConfig.fromMap(mod.section("model"));
        assertEquals(ModelConfig.fromMap(moeut.section("model")), m.toBuilder().family("moeut").mod(null).build());
        assertEquals(moeut.section("train"), mod.section("train"));
        assertEquals("moeut", m.blockKind());
    }
}
