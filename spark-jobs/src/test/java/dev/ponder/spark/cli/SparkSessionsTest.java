package dev.ponder.spark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/**
 * The executor JVM rules: G1 added to the executors' options unless they choose a collector; the
 * heap on transparent huge pages (Linux) unless they choose a page size.
 */
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

    static String pageOptions(String extra, String defaults, String os) {
        SparkConf conf = new SparkConf(false);
        if (extra != null) {
            conf.set("spark.executor.extraJavaOptions", extra);
        }
        if (defaults != null) {
            conf.set("spark.executor.defaultJavaOptions", defaults);
        }
        SparkSessions.heapOnHugePagesOnExecutors(conf, os);
        return conf.get("spark.executor.extraJavaOptions", null);
    }

    @Test
    void putsTheHeapOnHugePagesOnLinux() {
        assertEquals("-XX:+UseTransparentHugePages", pageOptions(null, null, "Linux"));
        assertEquals("-XX:+UseG1GC -XX:+UseTransparentHugePages", pageOptions("-XX:+UseG1GC", null, "Linux"));
        assertEquals(null, pageOptions(null, null, "Mac OS X")); // the flag exists on Linux JVMs only
    }

    @Test
    void leavesAChosenPageSizeAlone() {
        assertEquals("-XX:-UseTransparentHugePages", pageOptions("-XX:-UseTransparentHugePages", null, "Linux"));
        assertEquals("-XX:+UseLargePages", pageOptions("-XX:+UseLargePages", null, "Linux"));
        assertEquals("-Dx=1", pageOptions("-Dx=1", "-XX:+UseLargePages", "Linux"));
    }
}
