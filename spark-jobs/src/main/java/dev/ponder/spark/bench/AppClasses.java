package dev.ponder.spark.bench;

import dev.ponder.spark.cluster.SparkHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * How executors of an application started from this JVM (not through spark-submit) get Ponder's
 * classes: the fat jar as spark.jars, as ponder-submit ships it; without one (running from
 * classes directories) the driver's own classpath, which only works on this machine.
 */
public final class AppClasses {
    private AppClasses() {}

    public static void addTo(Map<String, String> sparkConf) {
        if (System.getProperty("spark.jars") != null || sparkConf.containsKey("spark.jars")) {
            return; // spark-submit already ships the application jar
        }
        Optional<Path> fat = fatJar();
        if (fat.isPresent()) {
            sparkConf.put("spark.jars", fat.get().toUri().toString());
        } else {
            sparkConf.put("spark.executor.extraClassPath", absoluteClassPath());
        }
    }

    /**
     * This JVM's classpath with absolute entries: executors run in their own work directories, where
     * relative entries resolve to nothing (and a missing capturing class surfaces as the cryptic
     * "cannot assign instance of SerializedLambda" ClassCastException).
     */
    public static String absoluteClassPath() {
        StringBuilder cp = new StringBuilder();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!entry.isEmpty()) {
                cp.append(cp.length() == 0 ? "" : java.io.File.pathSeparator).append(Path.of(entry).toAbsolutePath());
            }
        }
        return cp.toString();
    }

    /** {@code ponder-spark-jobs-*-all.jar} in the build's target directory, if built. */
    static Optional<Path> fatJar() {
        Path target = SparkHome.defaultDir().getParent();
        try (Stream<Path> files = Files.isDirectory(target) ? Files.list(target) : Stream.empty()) {
            return files.filter(p -> p.getFileName().toString().matches("ponder-spark-jobs-.*-all\\.jar")).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
