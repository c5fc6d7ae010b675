package dev.ponder.spark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchHaltingTest {
    @Test
    void printsTheTableAndTheHalvingLine(@TempDir Path tmp) throws Exception {
        Path config = tmp.resolve("sut.yaml");
        Files.writeString(config, String.join("\n",
                "train: {batch_size: 2, seq_len: 16}",
                "model: {family: sut, vocab_size: 64, d_model: 16, n_layers: 4, n_heads: 2, d_head: 8,",
                "        ff_n_experts: 4, ff_expert_size: 8, att_n_experts: 3, context_length: 16}", ""));
        PonderCliTest.Result r = PonderCliTest.run("bench", "halting", "--config", config.toString(), "--rounds", "2",
                "--warmup", "0");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().trim().split("\n");
        assertTrue(lines[1].startsWith("tau") && lines[2].startsWith("1.0000"), r.out());
        assertTrue(lines[lines.length - 1].matches("halving: tau=0\\.\\d+ depth=4\\.00->[0-2]\\.\\d+ flops_fall=.* ratio=.*"),
                r.out());
        PonderCliTest.Result bad = PonderCliTest.run("bench", "halting", "--config", config.toString(), "--set",
                "model.family=dense");
        assertEquals(2, bad.code());
    }
}
