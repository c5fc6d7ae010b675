package dev.ponder.spark.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SweepSpecTest {
    @Test
    void namedRunsCrossedWithTheGrid() {
        SweepSpec s = SweepSpec.parse(String.join("\n",
                "base: conf/train/x.yaml",
                "runs_dir: runs/s",
                "set: {train: {steps: 20}}",
                "runs:",
                "  - {name: dense, set: {model.family: dense}}",
                "  - name: moe",
                "    set: {model: {family: moe, d_model: 64}}",
                "grid: {train.lr: [1.0e-3, 3.0e-3]}",
                "concurrent: 2", ""), "s.yaml");
        assertEquals("conf/train/x.yaml", s.base());
        assertEquals(2, s.concurrent());
        assertEquals(List.of("dense_lr=0.001", "dense_lr=0.003", "moe_lr=0.001", "moe_lr=0.003"),
                s.points().stream().map(SweepSpec.Point::name).toList());
        assertEquals(List.of("train.steps=20", "model.family=moe", "model.d_model=64", "train.lr=0.003"),
                s.points().get(3).sets());
    }

    @Test
    void gridOnlyNamesRunsByTheirValues() {
        SweepSpec s = SweepSpec.parse("runs_dir: r\ngrid: {train.lr: [1e-3], train.batch_size: [4, 8]}\n", "g");
        assertEquals(List.of("lr=0.001_batch_size=4", "lr=0.001_batch_size=8"),
                s.points().stream().map(SweepSpec.Point::name).toList());
        assertEquals(1, s.concurrent());
    }

    @Test
    void mistakesAreErrorsNamingWhatIsWrong() {
        assertMessage("unknown sweep key gird", "runs_dir: r\ngird: {train.lr: [1]}\n");
        assertMessage("runs_dir is required", "grid: {train.lr: [1]}\n");
        assertMessage("lists of values belong under grid", "runs_dir: r\nset: {train.lr: [1, 2]}\n");
        assertMessage("names must be unique", "runs_dir: r\nruns: [{name: a}, {name: a}]\n");
        assertMessage("concurrent: expected an integer >= 1", "runs_dir: r\nconcurrent: 0\n");
        assertMessage("grid: train.lr expected a non-empty list", "runs_dir: r\ngrid: {train.lr: 3}\n");
    }

    private static void assertMessage(String expected, String yaml) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SweepSpec.parse(yaml, "t"));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    /** The ablation compares families at equal non-embedding parameters: every implemented row within 3%. */
    @Test
    void ablationRowsAreParameterMatched() throws Exception {
        java.nio.file.Path p = java.nio.file.Path.of("..", "conf", "sweep", "ablation-cpu.yaml");
        SweepSpec s = SweepSpec.parse(java.nio.file.Files.readString(p), p.toString());
        java.util.Map<String, Long> counts = new java.util.LinkedHashMap<>();
        for (SweepSpec.Point point : s.points()) {
            dev.ponder.spark.config.ResolvedConfig c;
            try {
                c = dev.ponder.spark.config.ConfigLoader.resolve("", p.toString(), point.sets(),
                        dev.ponder.spark.config.RunSchema::forRaw);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().contains("not implemented yet"), e.getMessage());
                continue;
            }
            dev.ponder.core.model.LanguageModel m = dev.ponder.core.model.ModelFactory.create(
                    dev.ponder.core.model.ModelConfig.fromMap(c.section("model")), 1);
            long embedding = 0;
            for (dev.ponder.core.params.ParamSpec spec : m.params().specs()) {
                if (spec.name().contains("embedding") || spec.name().contains("lm_head")) {
                    embedding += spec.length();
                }
            }
            counts.put(point.name(), m.params().size() - embedding);
        }
        assertTrue(counts.containsKey("dense") && counts.size() >= 2, counts.toString());
        long dense = counts.get("dense");
        counts.forEach((name, n) -> assertTrue(Math.abs(n - dense) <= 0.03 * dense,
                name + " has " + n + " non-embedding parameters, dense " + dense));
    }

    @Test
    void shippedSweepFilesParse() throws Exception {
        for (String f : new String[] {"ablation-cpu.yaml", "lr-dense-cpu.yaml"}) {
            java.nio.file.Path p = java.nio.file.Path.of("..", "conf", "sweep", f);
            SweepSpec s = SweepSpec.parse(java.nio.file.Files.readString(p), p.toString());
            assertTrue(s.points().size() >= 2, f);
        }
    }
}
