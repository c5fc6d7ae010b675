package dev.ponder.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.spark.cli.PonderCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GPU binding of tasks: address mapping, and that CPU runs are left alone (the GPU path runs in GpuSchedulingIT). */
class TaskDeviceTest {
    @Test
    void sparkAddressesMapToCudaDeviceIndices() {
        assertEquals(1, TaskDevice.deviceOf("1", null, 2));
        assertEquals(0, TaskDevice.deviceOf(" 0 ", "", 1));
        assertEquals(1, TaskDevice.deviceOf("3", "2,3", 2), "CUDA renumbers the visible devices from 0");
        assertEquals(0, TaskDevice.deviceOf("0", "0", 1));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TaskDevice.deviceOf("2", null, 2));
        assertTrue(e.getMessage().contains("expected 0..1"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> TaskDevice.deviceOf("GPU-5f2c", null, 2));
        assertTrue(e.getMessage().contains("device index"), e.getMessage());
    }

    @Test
    void outsideATaskNothingIsBound() {
        TaskDevice.Binding b = TaskDevice.bind();
        assertTrue(b.device().isEmpty());
        assertEquals("no GPU assigned to this task", b.description());
    }

    @Test
    void benchDeviceTrainsOnTheCpuBackendWhenNoGpuIsScheduled(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, "seed: 1\ntrain: {batch_size: 2, seq_len: 8}\n"
                + "model: {family: dense, vocab_size: 64, d_model: 16, n_layers: 1, n_heads: 2, context_length: 8}\n");
        StringWriter out = new StringWriter();
        int code = PonderCli.execute(new String[] {"--master", "local[2]", "--conf", "spark.ui.enabled=false", "bench",
            "device", "--config", cfg.toString(), "--steps", "3", "--tasks", "2"}, new PrintWriter(out, true),
                new PrintWriter(System.err, true));
        assertEquals(0, code, out.toString());
        assertTrue(out.toString().contains("task 1 on executor driver: backend Cpu, no GPU assigned to this task"),
                out.toString());
        assertTrue(out.toString().contains("backend=Cpu devices=0,0"), out.toString());
    }
}
