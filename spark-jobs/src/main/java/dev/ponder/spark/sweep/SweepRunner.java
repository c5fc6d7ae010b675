package dev.ponder.spark.sweep;

import dev.ponder.core.train.ComputeThreads;
import dev.ponder.prep.io.HadoopFiles;
import dev.ponder.spark.ckpt.CheckpointStore;
import dev.ponder.spark.config.ConfigLoader;
import dev.ponder.spark.config.ResolvedConfig;
import dev.ponder.spark.config.RunSchema;
import dev.ponder.spark.report.HtmlReport;
import dev.ponder.spark.report.RunData;
import dev.ponder.spark.train.MetricsLog;
import dev.ponder.spark.train.TrainDriver;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Plans, trains and reports a sweep. Every run's configuration is resolved before anything
 * trains, so a typo in the last grid point fails in a second, not after hours. A run is
 * finished when its final checkpoint (train.steps) is committed and eval.json exists; those are
 * skipped, so rerunning an interrupted sweep continues where it stopped (an unfinished run
 * resumes from its newest checkpoint, as `train` does).
 */
public final class SweepRunner {
    /** One run with its resolved configuration and where it stands. */
    public record Planned(SweepSpec.Point point, ResolvedConfig config, String runDir, boolean finished) {}

    private final SweepSpec spec;
    private final String baseYaml;
    private final String baseSource;

    public SweepRunner(SweepSpec spec, Configuration conf) {
        this.spec = spec;
        this.baseSource = spec.base() == null ? "(no base)" : spec.base();
        this.baseYaml = spec.base() == null ? "" : readBase(spec.base(), conf);
    }

    private static String readBase(String base, Configuration conf) {
        try {
            return HadoopFiles.readString(HadoopFiles.qualify(base, conf), conf);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("sweep base " + base + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private ResolvedConfig resolve(SweepSpec.Point p, List<String> extra) {
        List<String> sets = new ArrayList<>(p.sets());
        sets.addAll(extra);
        try {
            return ConfigLoader.resolve(baseYaml, baseSource, sets, RunSchema::forRaw);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sweep run " + p.name() + ": " + e.getMessage(), e);
        }
    }

    /** Every run (or those named in {@code only}), resolved, with its status. */
    public List<Planned> plan(List<String> only, Configuration conf) {
        List<Planned> out = new ArrayList<>();
        for (SweepSpec.Point p : spec.points()) {
            if (!only.isEmpty() && !only.contains(p.name())) {
                continue;
            }
            ResolvedConfig cfg = resolve(p, List.of());
            String dir = spec.runsDir().replaceAll("/+$", "") + "/" + p.name();
            out.add(new Planned(p, cfg, dir, finished(dir, cfg.getInt("train.steps"), conf)));
        }
        List<String> unknown = new ArrayList<>(only);
        out.forEach(r -> unknown.remove(r.point().name()));
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("--only: no sweep run named " + unknown + "; runs are "
                    + spec.points().stream().map(SweepSpec.Point::name).toList());
        }
        return out;
    }

    static boolean finished(String runDir, int steps, Configuration conf) {
        Path dir = HadoopFiles.qualify(runDir, conf);
        return HadoopFiles.exists(new Path(dir, RunData.EVAL_FILE), conf)
                && new CheckpointStore(dir, conf).committedSteps().contains((long) steps);
    }

    /**
     * Trains the unfinished runs, {@code spec.concurrent()} at a time as concurrent Spark jobs
     * of one application. Each run's console lines carry its name. A failed run does not stop
     * the others; the failures are listed at the end (after the report, so finished runs are
     * compared anyway).
     */
    public Map<String, String> train(JavaSparkContext sc, List<Planned> runs, PrintWriter console) throws InterruptedException {
        Map<String, String> failures = new ConcurrentHashMap<>();
        int parallel = Math.max(1, Math.min(spec.concurrent(), runs.size()));
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            List<Future<?>> pending = new ArrayList<>();
            for (Planned run : runs) {
                pending.add(pool.submit(() -> trainOne(sc, run, parallel, console, failures)));
            }
            for (int i = 0; i < pending.size(); i++) {
                try {
                    pending.get(i).get();
                } catch (java.util.concurrent.ExecutionException e) { // an Error: trainOne catches the rest
                    failures.put(runs.get(i).point().name(), oneLine(e.getCause()));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return failures;
    }

    private void trainOne(JavaSparkContext sc, Planned run, int parallel, PrintWriter console,
            Map<String, String> failures) {
        String name = run.point().name();
        PrintWriter out = new PrintWriter(new Prefixed(console, "[" + name + "] "), true);
        try {
            ResolvedConfig cfg = run.config();
            // Concurrent runs share the local cores: give each task its share, not all of them.
            if (parallel > 1 && sc.master().startsWith("local") && cfg.getInt("train.threads_per_worker") == 0) {
                int threads = ComputeThreads.forLocalMaster(sc.master(), parallel * cfg.getInt("train.workers"));
                cfg = resolve(run.point(), List.of("train.threads_per_worker=" + threads));
            }
            out.println("training in " + run.runDir() + " with " + String.join(" ", run.point().sets()));
            TrainDriver.Summary s = new TrainDriver(sc, cfg, run.runDir(), out).run();
            out.printf("done: step %d, val loss %.4f (ppl %.2f)%n", s.step(), s.validation().loss(),
                    s.validation().perplexity());
        } catch (RuntimeException e) {
            failures.put(name, oneLine(e));
            out.println("failed: " + oneLine(e));
        }
    }

    /** The comparison report over every planned run that has metrics; returns where it went. */
    public Path report(List<Planned> runs, Configuration conf) {
        List<String> dirs = new ArrayList<>();
        for (Planned r : runs) {
            if (HadoopFiles.exists(new Path(HadoopFiles.qualify(r.runDir(), conf), MetricsLog.FILE), conf)) {
                dirs.add(r.runDir());
            }
        }
        if (dirs.isEmpty()) {
            throw new IllegalStateException("sweep: no run has metrics yet, so there is nothing to report");
        }
        String out = spec.report() != null ? spec.report() : spec.runsDir().replaceAll("/+$", "") + "/report.html";
        return HtmlReport.write(dirs, out, conf);
    }

    /** Prefixes every line written through it and writes whole lines at once (runs share the console). */
    static final class Prefixed extends Writer {
        private final PrintWriter target;
        private final String prefix;
        private final StringBuilder line = new StringBuilder();

        Prefixed(PrintWriter target, String prefix) {
            this.target = target;
            this.prefix = prefix;
        }

        @Override
        public void write(char[] buf, int off, int len) {
            for (int i = off; i < off + len; i++) {
                if (buf[i] == '\n') {
                    synchronized (target) {
                        target.println(prefix + line);
                        target.flush();
                    }
                    line.setLength(0);
                } else if (buf[i] != '\r') {
                    line.append(buf[i]);
                }
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }

    /** One-line error text, as the CLI prints it. */
    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.replace('\n', ' ');
    }
}
