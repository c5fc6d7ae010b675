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

    @Test
    void sutConfigsAreTheLmPortAndACpuSizeNearMoeutTiny() throws Exception {
        ModelConfig sut = model("model/sut-44m.yaml");
        assertEquals(412, sut.dModel());
        assertEquals(16, sut.nLayers());
        assertEquals(152, sut.sut().ffNExperts());
        assertEquals(256, sut.sut().ffExpertSize());
        assertEquals(24, sut.sut().attNExperts());
        assertEquals(256, sut.nHeads() * sut.dHead(), "moe.att.expert_size");
        assertEquals(0.001, sut.sut().miLoss(), 0);
        assertEquals(0.01, sut.sut().actLoss(), 0);
        assertEquals(0.999, sut.sut().haltingThreshold(), 0);
        assertEquals(0.1, load("model/sut-44m.yaml").getDouble("train.grad_clip"), 0);
        long tiny = dev.ponder.core.model.ModelFactory.createForLoad(model("model/sut-tiny.yaml"), 0).params().size();
        long moeut = dev.ponder.core.model.ModelFactory.createForLoad(model("model/moeut-tiny.yaml"), 0).params().size();
        assertEquals(1.0, (double) tiny / moeut, 0.1, "sut-tiny " + tiny + " vs moeut-tiny " + moeut + " parameters");
    }

    @Test
    void sharcsTinyIsItsDenseControlPlusWidthRouting() throws Exception {
        ResolvedConfig sharcs = load("model/sharcs-tiny.yaml");
        ResolvedConfig dense = load("model/dense-tiny.yaml");
        ModelConfig s = ModelConfig.fromMap(sharcs.section("model"));
        ModelConfig d = ModelConfig.fromMap(dense.section("model"));
        assertEquals(d, s.toBuilder().family("dense").sharcs(null).build(), "same dense keys");
        assertEquals(dense.section("train"), sharcs.section("train"), "same recipe");
        assertEquals(dense.getString("data.path"), sharcs.getString("data.path"));
        assertEquals(java.util.List.of(0.25, 0.5, 1.0), s.sharcs().widths());
        assertEquals(2, s.sharcs().startLayer());
        long ps = dev.ponder.core.model.ModelFactory.createForLoad(s, 0).params().size();
        long pd = dev.ponder.core.model.ModelFactory.createForLoad(d, 0).params().size();
        assertEquals(71_555, ps - pd, "router 256x256 + 256x3 with biases, narrow LayerNorms");
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
