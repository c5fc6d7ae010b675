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
    /** The executors' collector unless their options choose one: see {@link #useG1OnExecutors}. */
    static final String EXECUTOR_GC = "-XX:+UseG1GC";

    /** The executors' Java heap on transparent huge pages: see {@link #heapOnHugePagesOnExecutors}. */
    static final String EXECUTOR_HEAP_PAGES = "-XX:+UseTransparentHugePages";

    /** The JVM option that resolves the Vector API module; the launchers pass it to drivers. */
    static final String VECTOR_MODULE = "--add-modules=jdk.incubator.vector";

    /** The executors' default JVM options: the Vector API module and no JavaCPP resident-size check per array. */
    static final String EXECUTOR_DEFAULT_OPTIONS = VECTOR_MODULE + " " + dev.ponder.core.Backend.NO_RSS_CHECK_OPTION;

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
        // Fewer, larger torrent pieces: each 4 MB piece costs an executor a location lookup, a fetch
        // and a status report; with 32 MB pieces the median broadcast of a 155 MB round (12.9M
        // parameters with Adam state, 2 executors) went from 1.67 to 0.88 s.
        conf.setIfMissing("spark.broadcast.blockSize", "32m");
        // Remote blocks above this size (task results, broadcast pieces) are streamed to a local
        // file as they arrive instead of being assembled in memory as one network frame and copied
        // again into fresh buffers. A worker's round result is 12 bytes per parameter: at 12.9M
        // parameters (148 MB) it reached the driver 2-3.5 s after the task serialized it, 0.2-0.6 s
        // streamed (2 executors on 2 cores, the later rounds of a run); at 3.3M parameters (39 MB)
        // the round's aggregation took 0.80 s with a 64 MB limit, 0.55 s with this one.
        conf.setIfMissing("spark.network.maxRemoteBlockSizeFetchToMem", "16m");
        // Every round each task builds a replica: parameters, gradients and optimizer state in fresh
        // off-heap memory (4 floats per parameter), whose 4 KB page faults cost 2.7 us each here
        // (0.8-2.5 s per task at 12.9M parameters). With malloc on transparent huge pages (glibc
        // 2.35+; ignored by older ones) the same build took 0.1-0.2 s. Results are unchanged.
        conf.setIfMissing("spark.executorEnv.GLIBC_TUNABLES", HUGE_PAGE_MALLOC);
        // The softmax and attention kernels run on SIMD lanes with the JDK's Vector API module
        // (core's HostVectors; without it they fall back to scalar loops, ~10x slower exp). Spark
        // prepends this to spark.executor.extraJavaOptions, so users' own options stay. The same for
        // JavaCPP's resident-size check on every native pointer (see Backend.skipResidentMemoryCheck).
        conf.setIfMissing("spark.executor.defaultJavaOptions", EXECUTOR_DEFAULT_OPTIONS);
        settings.forEach(conf::set);
        useG1OnExecutors(conf);
        heapOnHugePagesOnExecutors(conf, System.getProperty("os.name", ""));
        JavaSparkContext sc = new JavaSparkContext(conf);
        sc.setLogLevel(conf.get("spark.ponder.logLevel", "WARN"));
        return sc;
    }

    /**
     * Adds -XX:+UseG1GC to the executors' JVM options unless they already pick a collector. On one
     * CPU (a 1-core executor, a container limited to one, -XX:ActiveProcessorCount=1) the JVM
     * picks the serial collector, whose young pauses copy every live array out of the young
     * generation: the round's broadcast and result arrays (155 MB each at 12.9M parameters) cost
     * 0.3-3.1 s per pause, 10 s of pauses in a 5-round run. G1 allocates such arrays as humongous
     * regions and never copies them (1.8 s in all); the round's overhead went from 7.1-9.2 to
     * 3.9 s. Collectors do not change results.
     */
    static void useG1OnExecutors(SparkConf conf) {
        String options = conf.get("spark.executor.extraJavaOptions", "");
        String all = conf.get("spark.executor.defaultJavaOptions", "") + " " + options;
        if (!all.matches("(?s).*-XX:\\+Use\\w*GC\\b.*")) {
            conf.set("spark.executor.extraJavaOptions", (options + " " + EXECUTOR_GC).trim());
        }
    }

    /**
     * Adds -XX:+UseTransparentHugePages to the executors' JVM options (Linux drivers only: the flag
     * exists on Linux JVMs alone, and executors run the driver's OS in practice) unless their options
     * already mention transparent or large pages. Each round the executor heap receives the round's
     * broadcast and builds its result (12 bytes per parameter each); while G1 grows the heap toward
     * that size, every freshly committed 4 KB page faults on first touch (2.7 us each here), and the
     * second to fourth rounds of a 12.9M-parameter run had 8-12 s of overhead against ~2 s later.
     * With the heap madvised for 2 MB pages the same rounds took 2-4 s. Results are unchanged.
     */
    static void heapOnHugePagesOnExecutors(SparkConf conf, String osName) {
        String options = conf.get("spark.executor.extraJavaOptions", "");
        String all = conf.get("spark.executor.defaultJavaOptions", "") + " " + options;
        if (osName.startsWith("Linux") && !all.matches("(?s).*-XX:[+-]Use(TransparentHuge|Large)Pages\\b.*")) {
            conf.set("spark.executor.extraJavaOptions", (options + " " + EXECUTOR_HEAP_PAGES).trim());
        }
    }
}
