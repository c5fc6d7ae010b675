package dev.ponder.spark.s3;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * A real S3 server for tests: S3Proxy with its filesystem backend, run as a child process on
 * 127.0.0.1 (the build copies its jar to target/s3proxy/). Buckets are directories made before
 * start. Settings measured for s3a with SDK v1: client-side change detection, kept markers.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "ponder-test-access";
    /** Tests check that this never appears in logs, files or errors. */
    public static final String SECRET_KEY = "ponder-test-secret-9f8e7d6c5b4a";

    private final Process process;
    private final int port;
    private final Path log;

    private S3ProxyServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    public static S3ProxyServer start(Path workDir, List<String> buckets) throws IOException, InterruptedException {
        Path jar = Path.of("target/s3proxy/s3proxy.jar").toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: run the build (mvn generate-test-resources copies it)");
        }
        Path base = Files.createDirectories(workDir.resolve("blobs"));
        for (String b : buckets) {
            Files.createDirectories(base.resolve(b));
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path props = workDir.resolve("s3proxy.properties");
        Files.writeString(props, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + base,
                ""));
        Path log = workDir.resolve("s3proxy.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx256m", "-jar", jar.toString(), "--properties", props.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        S3ProxyServer server = new S3ProxyServer(p, port, log);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("S3Proxy exited: " + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return server;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        server.close();
        throw new IllegalStateException("S3Proxy did not listen on 127.0.0.1:" + port + " within 60 s");
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** s3a settings for this server, as Spark conf keys (spark.hadoop.*) without credentials. */
    public Map<String, String> sparkConf() {
        return Map.of(
                "spark.hadoop.fs.s3a.endpoint", endpoint(),
                "spark.hadoop.fs.s3a.path.style.access", "true",
                "spark.hadoop.fs.s3a.connection.ssl.enabled", "false",
                "spark.hadoop.fs.s3a.change.detection.mode", "client",
                "spark.hadoop.fs.s3a.directory.marker.retention", "keep",
                "spark.hadoop.fs.s3a.attempts.maximum", "3",
                "spark.hadoop.fs.s3a.retry.limit", "3");
    }

    /** Applies {@link #sparkConf()} and the credentials to a Hadoop configuration. */
    public void configure(Configuration conf) {
        sparkConf().forEach((k, v) -> conf.set(k.substring("spark.hadoop.".length()), v));
        conf.set("fs.s3a.access.key", ACCESS_KEY);
        conf.set("fs.s3a.secret.key", SECRET_KEY);
    }

    public File log() {
        return log.toFile();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
