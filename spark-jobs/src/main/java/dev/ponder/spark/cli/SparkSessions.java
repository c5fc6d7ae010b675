package dev.ponder.spark.cli;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Creates the Spark context for a subcommand. Under spark-submit the master and settings come
 * from spark-submit; run directly, the embedded default is {@code local[*]} bound to 127.0.0.1.
 */
public final class SparkSessions {
    /** glibc's malloc on transparent huge pages (madvise); the launchers set it for the driver too. */
    static final String HUGE_PAGE_MALLOC = "glibc.malloc.hugetlb=1";

    /** The JVM option that resolves the Vector API module; the launchers pass it to drivers. */
    static final String VECTOR_MODULE = "--add-modules=jdk.incubator.vector";

    private SparkSessions() {}

    public static JavaSparkContext open(String appName, String master, Map<String, String> settings) {
        SparkConf conf = new SparkConf(true).setAppName(appName);
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        if (conf.get("spark.master").startsWith("local")) {
            // Spark binds to the first interface otherwise; local runs stay on loopback.
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        // Training broadcasts parameters and optimizer state every round: floats that LZ4 shrinks by
        // 0.1% at a measured 0.4-0.9 s per round (compress + decompress) for 38M floats.
        conf.setIfMissing("spark.broadcast.compress", "false");
        // Every round each task builds a replica: parameters, gradients and optimizer state in fresh
        // off-heap memory (4 floats per parameter), whose 4 KB page faults cost 2.7 us each here
        // (0.8-2.5 s per task at 12.9M parameters). With malloc on transparent huge pages (glibc
        // 2.35+; ignored by older ones) the same build took 0.1-0.2 s. Results are unchanged.
        conf.setIfMissing("spark.executorEnv.GLIBC_TUNABLES", HUGE_PAGE_MALLOC);
        // The softmax and attention kernels run on SIMD lanes with the JDK's Vector API module
        // (core's HostVectors; without it they fall back to scalar loops, ~10x slower exp). Spark
        // prepends this to spark.executor.extraJavaOptions, so users' own options stay.
        conf.setIfMissing("spark.executor.defaultJavaOptions", VECTOR_MODULE);
        settings.forEach(conf::set);
        JavaSparkContext sc = new JavaSparkContext(conf);
        sc.setLogLevel(conf.get("spark.ponder.logLevel", "WARN"));
        return sc;
    }
}
