package dev.ponder.spark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** The executor collector rule: G1 added to the executors' options unless they choose a collector. */
class SparkSessionsTest {
    static String executorOptions(String extra, String defaults) {
        SparkConf conf = new SparkConf(false);
        if (extra != null) {
            conf.set("spark.executor.extraJavaOptions", extra);
        }
        if (defaults != null) {
            conf.set("spark.executor.defaultJavaOptions", defaults);
        }
        SparkSessions.useG1OnExecutors(conf);
        return conf.get("spark.executor.extraJavaOptions", null);
    }

    @Test
    void addsG1WhenNoCollectorIsChosen() {
        assertEquals("-XX:+UseG1GC", executorOptions(null, null));
        assertEquals("-XX:ActiveProcessorCount=1 -XX:+UseG1GC", executorOptions("-XX:ActiveProcessorCount=1", null));
        // Options that merely contain "GC" are not a collector choice.
        assertEquals("-XX:+UseGCOverheadLimit -Xlog:gc -XX:+UseG1GC", executorOptions("-XX:+UseGCOverheadLimit -Xlog:gc",
                null));
    }

    @Test
    void leavesAChosenCollectorAlone() {
        assertEquals("-XX:+UseParallelGC", executorOptions("-XX:+UseParallelGC", null));
        assertEquals("-Xss4m -XX:+UseZGC", executorOptions("-Xss4m -XX:+UseZGC", null));
        assertEquals("-Dx=1", executorOptions("-Dx=1", "-XX:+UseSerialGC")); // an administrator's default counts
        assertEquals(null, executorOptions(null, "-XX:+UseShenandoahGC"));
    }
}
