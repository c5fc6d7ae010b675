package dev.ponder.spark.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Spark GPU resource scheduling end to end on a machine without GPUs: a worker offers two GPUs
 * found by a discovery script (a stand-in for submit/gpu-discovery.sh, which needs nvidia-smi),
 * executors and tasks ask for one each, and every task reads its own address from TaskContext and
 * hands it to ND4J's device binding, which reports that the CPU build cannot use it.
 */
class GpuSchedulingIT {
    @Test
    void eachTaskGetsItsOwnGpuAddressAndTheCpuBuildSaysSo() throws Exception {
        Path work = Path.of("target/it-gpu").toAbsolutePath();
        StandaloneClusterIT.deleteTree(work);
        Files.createDirectories(work);
        Path discovery = work.resolve("fake-gpus.sh");
        Files.writeString(discovery, "#!/usr/bin/env bash\necho '{\"name\":\"gpu\",\"addresses\":[\"0\",\"1\"]}'\n");
        Files.setPosixFilePermissions(discovery, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path cfg = work.resolve("tiny.yaml");
        Files.writeString(cfg, "seed: 1\ntrain: {batch_size: 2, seq_len: 8}\n"
                + "model: {family: dense, vocab_size: 64, d_model: 16, n_layers: 1, n_heads: 2, context_length: 8}\n");
        try (StandaloneCluster cluster = StandaloneCluster.start(SparkHome.prepare(SparkHome.defaultDir()), 1, 2, "2g",
                work.resolve("cluster"), List.of("-Dspark.worker.resource.gpu.amount=2",
                        "-Dspark.worker.resource.gpu.discoveryScript=" + discovery))) {
            PonderSubmitProcess run = PonderSubmitProcess.start(cluster,
                    "--conf", "spark.executor.cores=1", "--conf", "spark.executor.memory=768m",
                    "--conf", "spark.executor.resource.gpu.amount=1", "--conf", "spark.task.resource.gpu.amount=1",
                    "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                    "bench", "device", "--config", cfg.toString(), "--tasks", "2", "--steps", "2");
            assertEquals(0, run.await(300), run.output());
            String out = run.output();
            for (String gpu : new String[] {"GPU 0 assigned", "GPU 1 assigned"}) {
                assertTrue(out.contains(gpu + ", but ND4J runs its CPU backend (build with -Pcuda)"), out);
            }
            assertTrue(out.contains("backend=Cpu"), out);
        }
    }
}
