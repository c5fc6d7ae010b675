package dev.ponder.spark.cli;

import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.train.LocalTrainer;
import dev.ponder.spark.config.ResolvedConfig;
import dev.ponder.spark.train.TaskDevice;
import dev.ponder.spark.train.TrainPlan;
import dev.ponder.spark.train.TrainSettings;
import java.io.PrintWriter;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ponder bench device}: the device check of GPU executors (submit/gpu-smoke). Each of
 * --tasks Spark tasks binds ND4J to the GPU Spark assigned it (as training tasks do), trains a few
 * steps of the configured model on random tokens and reports its backend, device and loss.
 */
@Command(name = "device", mixinStandardHelpOptions = true,
        description = "Per Spark task: ND4J backend, bound device and a few training steps on random tokens; "
                + "last line backend=X devices=Y ms_per_step=Z.")
final class BenchDevice implements Callable<Integer> {
    @ParentCommand
    BenchCommand bench;

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, description = "run configuration YAML (model and train sections)")
    String config;

    @Option(names = "--steps", defaultValue = "5", description = "training steps per task; default ${DEFAULT-VALUE}")
    int steps;

    @Option(names = "--tasks", defaultValue = "1", description = "Spark tasks (one per GPU); default ${DEFAULT-VALUE}")
    int tasks;

    @Option(names = "--set", description = "override KEY=VALUE (repeatable)")
    List<String> overrides = new ArrayList<>();

    /** What one task saw and did. */
    record TaskReport(int task, String executor, String backend, String binding, int device, double firstLoss,
            double lastLoss, double msPerStep) implements Serializable {}

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (steps < 1 || tasks < 1) {
            throw new IllegalArgumentException("--steps and --tasks: expected >= 1, found " + steps + " and " + tasks);
        }
        try (JavaSparkContext sc = SparkSessions.open("ponder bench device", bench.parent.master,
                bench.parent.sparkConf())) {
            ResolvedConfig cfg = RunConfigs.load(config, overrides, sc.hadoopConfiguration());
            TrainSettings settings = TrainSettings.from(cfg);
            TrainPlan plan = TrainPlan.of(ModelConfig.fromMap(cfg.section("model")), settings, null,
                    Math.max(1, sc.getConf().getInt("spark.task.cpus", 1)));
            int n = steps;
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                ids.add(i);
            }
            // All tasks at once, each on its own slot (and GPU): not the first executor to register
            // running them in turn while the others start. A local master's slots are all there.
            if (!sc.master().startsWith("local")) {
                int slots = dev.ponder.spark.train.TaskSlots.await(sc, tasks, 120);
                if (slots < tasks) {
                    out.printf("warning: %d task slots after 120 s, fewer than --tasks %d: tasks share slots in turn%n",
                            slots, tasks);
                }
            }
            List<TaskReport> reports = sc.parallelize(ids, tasks).map(i -> run(plan, n, i)).collect();
            double ms = 0;
            List<String> devices = new ArrayList<>();
            for (TaskReport r : reports) {
                out.printf("task %d on executor %s: backend %s, %s, device %d; loss %.4f -> %.4f, %.1f ms/step%n",
                        r.task(), r.executor(), r.backend(), r.binding(), r.device(), r.firstLoss(), r.lastLoss(),
                        r.msPerStep());
                devices.add(String.valueOf(r.device()));
                ms += r.msPerStep() / reports.size();
            }
            out.printf("backend=%s devices=%s ms_per_step=%.2f%n", reports.get(0).backend(), String.join(",", devices), ms);
        }
        return 0;
    }

    static TaskReport run(TrainPlan plan, int steps, int task) {
        TaskDevice.Binding binding = TaskDevice.bind();
        LocalTrainer trainer = plan.newTrainer();
        int batch = plan.train().batchSize();
        int window = plan.train().window();
        int vocab = plan.modelConfig().vocabSize();
        SplittableRandom rnd = new SplittableRandom(plan.train().seed() + task);
        int[] tokens = new int[batch * window];
        double first = Double.NaN;
        double last = Double.NaN;
        long timed = 0;
        for (int s = 0; s < steps; s++) {
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = rnd.nextInt(vocab);
            }
            long t0 = System.nanoTime();
            last = trainer.step(tokens, batch, window).stats().ceLoss();
            if (s == 0) {
                first = last; // the first step also pays for kernel loading: not timed
            } else {
                timed += System.nanoTime() - t0;
            }
        }
        String backend = Nd4j.getBackend().getClass().getSimpleName().replace("Backend", "");
        SparkEnv env = SparkEnv.get();
        return new TaskReport(task, env == null ? "?" : env.executorId(), backend, binding.description(),
                Nd4j.getAffinityManager().getDeviceForCurrentThread(), first, last,
                steps > 1 ? timed / 1e6 / (steps - 1) : Double.NaN);
    }
}
