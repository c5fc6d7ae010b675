package dev.ponder.spark.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * conf/cluster/*.conf are spark-submit properties files: every key a Spark setting, no trailing
 * comments (Java properties would keep them in the value), OMP threads matching the task cores.
 */
class ClusterConfTest {
    @Test
    void everyClusterConfigurationIsAValidPropertiesFile() throws Exception {
        Path dir = Path.of("").toAbsolutePath().getParent().resolve("conf/cluster");
        for (String name : new String[] {"local", "standalone", "yarn", "kubernetes"}) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(dir.resolve(name + ".conf"))) {
                p.load(r);
            }
            assertTrue(p.getProperty("spark.master", "").length() > 0, name + ": spark.master");
            for (String key : p.stringPropertyNames()) {
                assertTrue(key.startsWith("spark."), name + ": " + key + " is not a Spark setting");
                assertFalse(p.getProperty(key).contains("#"), name + ": " + key + " has a trailing comment");
            }
            assertEquals("false", p.getProperty("spark.broadcast.compress"), name);
            if (p.containsKey("spark.task.cpus")) {
                assertEquals(p.getProperty("spark.task.cpus"), p.getProperty("spark.executorEnv.OMP_NUM_THREADS"),
                        name + ": ND4J threads = cores per task");
                assertEquals(p.getProperty("spark.task.cpus"), p.getProperty("spark.executor.cores"),
                        name + ": one training task per executor");
            }
        }
    }
}
