package dev.ponder.prep.job;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** A real local Spark context for tests, bound to loopback, without UI. */
public final class LocalSpark {
    private LocalSpark() {}

    public static JavaSparkContext start(String master) {
        SparkConf conf = new SparkConf().setMaster(master).setAppName("ponder-test")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false");
        JavaSparkContext sc = new JavaSparkContext(conf);
        sc.setLogLevel("WARN");
        return sc;
    }
}
