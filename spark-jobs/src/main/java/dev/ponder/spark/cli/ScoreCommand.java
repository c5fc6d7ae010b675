package dev.ponder.spark.cli;

import dev.ponder.core.io.Npy;
import dev.ponder.core.io.Safetensors;
import dev.ponder.core.model.EvalStats;
import dev.ponder.core.model.LanguageModel;
import dev.ponder.core.model.StepStats;
import dev.ponder.core.params.ParamSpec;
import dev.ponder.core.tensor.Bulk;
import dev.ponder.prep.io.HadoopFiles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ponder score}: logits, loss, the family's auxiliary loss and optionally every gradient of
 * one token batch, as safetensors (CONTRACTS.md). Used to check numerical parity with the
 * reference implementations.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Logits, loss, reg_loss and (--grads) gradients of a token batch [B, T+1] (.npy) as safetensors.")
final class ScoreCommand implements Callable<Integer> {
    @ParentCommand
    PonderCli parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, description = "a run directory (newest committed step) or a step directory")
    String checkpoint;

    @Option(names = "--tokens", required = true, description = "integer tokens [B, T+1] as .npy (int32, int64 or uint16)")
    String tokens;

    @Option(names = "--out", required = true, description = "output .safetensors")
    String out;

    @Option(names = "--train-mode", description = "compute reg_loss in training mode (no dropout is sampled)")
    boolean trainMode;

    @Option(names = "--grads", description = "also write grad.<name> for every parameter (gradient of loss + reg_loss)")
    boolean grads;

    @Option(names = "--set", description = "override KEY=VALUE on the checkpoint's configuration")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() {
        Configuration conf = LoadedCheckpoint.hadoopConf(parent.sparkConf());
        LoadedCheckpoint c = LoadedCheckpoint.open(checkpoint, overrides, conf);
        Npy.IntMatrix batch = Npy.readInts2d(HadoopFiles.readAll(HadoopFiles.qualify(tokens, conf), conf), tokens);
        LanguageModel model = c.model();
        int vocab = model.config().vocabSize();
        for (int id : batch.data()) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("--tokens " + tokens + ": ids must be in [0, " + vocab + "), found " + id);
            }
        }
        Map<String, Safetensors.Tensor> result = new LinkedHashMap<>();
        EvalStats eval = model.evaluate(batch.data(), batch.rows(), batch.cols(), true);
        INDArray logits = eval.logits().dup('c');
        float[] values = new float[Math.toIntExact(logits.length())];
        Bulk.copyTo(logits, values, 0);
        result.put("logits", new Safetensors.Tensor(logits.shape(), values));
        double loss = eval.meanLoss();
        double reg = eval.auxLoss();
        if (trainMode || grads) {
            model.params().zeroGrads();
            StepStats train = model.forwardBackward(batch.data(), batch.rows(), batch.cols());
            if (trainMode) {
                reg = train.auxLoss();
            }
        }
        result.put("loss", scalar(loss));
        result.put("reg_loss", scalar(reg));
        if (grads) {
            for (ParamSpec s : model.params().specs()) {
                float[] g = new float[Math.toIntExact(s.length())];
                Bulk.copyTo(model.params().grad(s.name()), g, 0);
                result.put("grad." + s.name(), new Safetensors.Tensor(s.shape(), g));
            }
        }
        HadoopFiles.writeBytes(HadoopFiles.qualify(out, conf), Safetensors.write(result, Map.of("format", "pt")), conf);
        spec.commandLine().getOut().printf("score: B=%d T=%d loss %.6f reg_loss %.6f%s -> %s%n", batch.rows(),
                batch.cols() - 1, loss, reg, grads ? ", with gradients" : "", out);
        return 0;
    }

    private static Safetensors.Tensor scalar(double v) {
        return new Safetensors.Tensor(new long[0], new float[] {(float) v});
    }
}
