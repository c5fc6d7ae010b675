package dev.ponder.spark.report;

import dev.ponder.core.metrics.ExpertLoadStats;
import dev.ponder.core.metrics.HistogramValue;
import dev.ponder.core.metrics.Histogram;
import dev.ponder.prep.io.HadoopFiles;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * TensorBoard event files under {@code <run-dir>/tb/}. Each training process writes its own file,
 * {@code events.out.tfevents.<seconds>.<host>.<pid>}, holding everything it logged; object stores
 * cannot append, so {@link #flush()} rewrites that file (at checkpoints and at the end, like
 * metrics.jsonl). A rewrite only ever extends the previous bytes, so a TensorBoard tailing the
 * file sees an append. After a resume the new process starts a new file; if it resumed from an
 * older step than the previous file reached, TensorBoard's orphaned-data purge drops the stale
 * steps (its files load in name order, which is time order).
 */
public final class TensorBoardLog {
    public static final String DIR = "tb";
    /** metrics.jsonl bookkeeping fields that are not worth a chart. */
    private static final Set<String> NOT_PLOTTED = Set.of("step", "round_start_step", "local_steps");
    private static final Set<String> PERF = Set.of("tokens_per_s", "tokens_seen", "flops_per_token");

    private final Path file;
    private final Configuration conf;
    private final ByteArrayOutputStream records = new ByteArrayOutputStream();
    private int events;

    public TensorBoardLog(Path runDir, Configuration conf) {
        this.conf = conf;
        Path dir = new Path(runDir, DIR);
        long seconds = System.currentTimeMillis() / 1000;
        String base = "events.out.tfevents." + seconds + "." + host() + "." + ProcessHandle.current().pid();
        Path f = new Path(dir, base);
        for (int n = 1; HadoopFiles.exists(f, conf); n++) { // two logs of one process within a second
            f = new Path(dir, base + "." + n);
        }
        this.file = f;
        append(TbEvent.fileVersion(now()));
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "_");
        } catch (java.io.IOException | SecurityException e) {
            return "localhost";
        }
    }

    private static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    public Path file() {
        return file;
    }

    public void scalar(String tag, long step, double value) {
        append(TbEvent.scalar(now(), step, tag, value));
    }

    public void histogram(String tag, long step, HistogramValue h) {
        append(TbEvent.histogram(now(), step, tag, h));
    }

    /**
     * Charts one metrics.jsonl record: numbers become scalars (train/, val/, perf/ tags),
     * {@code histograms} become compute/NAME histograms, {@code expert_load} (tokens per expert,
     * per layer) becomes an expert_load/LAYER histogram plus its balance scalars.
     */
    public void addMetrics(Map<String, ?> record) {
        long step = ((Number) record.get("step")).longValue();
        for (Map.Entry<String, ?> e : record.entrySet()) {
            String key = e.getKey();
            Object v = e.getValue();
            if (NOT_PLOTTED.contains(key)) {
                continue;
            }
            if (v instanceof Number n) {
                scalar(tagOf(key), step, n.doubleValue());
            } else if (key.equals("histograms") && v instanceof Map<?, ?> hs) {
                hs.forEach((name, h) -> histogram("compute/" + name, step, valueOf(h)));
            } else if (key.equals("expert_load") && v instanceof Map<?, ?> layers) {
                layers.forEach((layer, counts) -> expertLoad(String.valueOf(layer), step, countsOf(counts)));
            }
        }
    }

    private void expertLoad(String layer, long step, long[] counts) {
        histogram("expert_load/" + layer, step, HistogramValue.ofCounts(counts));
        ExpertLoadStats s = ExpertLoadStats.of(counts);
        scalar("expert_balance/" + layer + "/cv", step, s.cv());
        scalar("expert_balance/" + layer + "/max_over_mean", step, s.maxOverMean());
        scalar("expert_balance/" + layer + "/entropy", step, s.normalizedEntropy());
        scalar("expert_balance/" + layer + "/dead_fraction", step, s.deadFraction());
    }

    static String tagOf(String key) {
        if (key.contains("/")) {
            return key;
        }
        if (key.startsWith("val_")) {
            return "val/" + key.substring(4);
        }
        return (PERF.contains(key) || key.endsWith("_seconds") ? "perf/" : "train/") + key; // round time split
    }

    private static HistogramValue valueOf(Object h) {
        if (h instanceof HistogramValue v) {
            return v;
        }
        if (h instanceof Histogram acc) {
            return acc.toValue();
        }
        if (h instanceof Map<?, ?> m) {
            return HistogramValue.fromMap(m);
        }
        throw new IllegalArgumentException("histograms: expected a histogram, found " + h);
    }

    private static long[] countsOf(Object counts) {
        if (counts instanceof long[] a) {
            return a;
        }
        if (counts instanceof List<?> l) {
            return l.stream().mapToLong(x -> ((Number) x).longValue()).toArray();
        }
        throw new IllegalArgumentException("expert_load: expected a list of token counts, found " + counts);
    }

    private void append(byte[] event) {
        records.writeBytes(TfRecord.frame(event));
        events++;
    }

    /**
     * Writes (rewrites) this process's event file with every event logged so far; nothing when
     * only the file-version header exists (e.g. `train` on a finished run), to avoid empty files.
     */
    public void flush() {
        if (events > 1) {
            ReportFiles.write(file, records.toByteArray(), conf);
        }
    }
}
