package dev.ponder.spark.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

/**
 * A minimal Spark installation: {@code jars/} (the runtime closure of spark-core, copied by the
 * spark-jobs build into {@code target/spark-home}), {@code bin/spark-class} and
 * {@code bin/spark-submit} (Spark's launcher protocol) and the empty
 * {@code launcher/target/scala-2.12} directory: without it Spark's launcher cannot tell the Scala
 * version and executors fail with "Cannot find any build directories".
 */
public final class SparkHome {
    private final Path dir;

    private SparkHome(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Path jars() {
        return dir.resolve("jars");
    }

    public Path sparkSubmit() {
        return dir.resolve("bin/spark-submit");
    }

    /** {@code <spark-jobs>/target/spark-home}, found from where this class was loaded (classes dir or jar). */
    public static Path defaultDir() {
        try {
            Path codeSource = Path.of(SparkHome.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return codeSource.getParent().resolve("spark-home"); // target/classes or target/x.jar -> target/
        } catch (URISyntaxException | RuntimeException e) {
            throw new IllegalStateException("cannot locate the build's target directory: " + e, e);
        }
    }

    /** An installed Spark (a distribution, or one this class prepared): used as it is. */
    public static SparkHome existing(Path dir) {
        if (!Files.isDirectory(dir.resolve("jars")) || !Files.isExecutable(dir.resolve("bin/spark-submit"))) {
            throw new IllegalArgumentException("SPARK_HOME " + dir + ": expected jars/ and bin/spark-submit");
        }
        return new SparkHome(dir.toAbsolutePath());
    }

    /** Makes {@code dir} (an assembled one, never a distribution) runnable (bin scripts, launcher directory) once its jars are there. */
    public static SparkHome prepare(Path dir) {
        Path jars = dir.resolve("jars");
        try (Stream<Path> files = Files.isDirectory(jars) ? Files.list(jars) : Stream.empty()) {
            if (files.noneMatch(p -> p.getFileName().toString().startsWith("spark-core_"))) {
                throw new IllegalStateException("no Spark jars in " + jars + ": run `mvn -B -DskipTests package` "
                        + "(it copies spark-core and its dependencies there), or point SPARK_HOME at a Spark 3.5 installation");
            }
            Files.createDirectories(dir.resolve("launcher/target/scala-2.12"));
            Files.createDirectories(dir.resolve("bin"));
            for (String script : new String[] {"spark-class", "spark-submit"}) {
                Path target = dir.resolve("bin").resolve(script);
                try (InputStream in = SparkHome.class.getResourceAsStream(script)) {
                    if (in == null) {
                        throw new IllegalStateException("resource " + script + " missing from the ponder jar");
                    }
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("preparing SPARK_HOME " + dir, e);
        }
        return new SparkHome(dir.toAbsolutePath());
    }
}
