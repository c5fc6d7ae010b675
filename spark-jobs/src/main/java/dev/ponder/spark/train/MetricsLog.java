package dev.ponder.spark.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.prep.io.HadoopFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * {@code <run-dir>/metrics.jsonl}: one JSON object per logged step. Object stores cannot append,
 * so the whole file is rewritten on {@link #flush()} (at checkpoints and at the end); on resume
 * the lines after the resumed step are dropped, since those steps will be trained again.
 */
public final class MetricsLog {
    public static final String FILE = "metrics.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Configuration conf;
    private final List<String> lines = new ArrayList<>();

    public MetricsLog(Path runDir, Configuration conf, long resumedStep) {
        this.file = new Path(runDir, FILE);
        this.conf = conf;
        if (HadoopFiles.exists(file, conf)) {
            for (String line : HadoopFiles.readString(file, conf).split("\n")) {
                if (!line.isBlank() && stepOf(line) <= resumedStep) {
                    lines.add(line);
                }
            }
        }
    }

    private static long stepOf(String line) {
        try {
            return JSON.readTree(line).path("step").asLong(Long.MAX_VALUE);
        } catch (IOException e) {
            return Long.MAX_VALUE; // a torn last line from a killed run: dropped
        }
    }

    public void append(Map<String, Object> record) {
        try {
            lines.add(JSON.writeValueAsString(record));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void flush() {
        HadoopFiles.writeString(file, lines.isEmpty() ? "" : String.join("\n", lines) + "\n", conf);
    }

    public int size() {
        return lines.size();
    }
}
