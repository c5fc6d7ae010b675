package dev.ponder.spark.cli;

import dev.ponder.core.io.Safetensors;
import dev.ponder.core.params.ParamSpec;
import dev.ponder.core.tensor.Bulk;
import dev.ponder.prep.io.HadoopFiles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Exports weights as safetensors with the reference implementation's parameter names and shapes.")
final class ExportCommand implements Callable<Integer> {
    @ParentCommand
    PonderCli parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, description = "a run directory (newest committed step) or a step directory")
    String checkpoint;

    @Option(names = "--format", defaultValue = "safetensors", description = "safetensors (the only format)")
    String format;

    @Option(names = "--out", required = true, description = "output file URI")
    String out;

    @Override
    public Integer call() {
        if (!format.equals("safetensors")) {
            throw new IllegalArgumentException("--format: expected safetensors, found " + format);
        }
        Configuration conf = LoadedCheckpoint.hadoopConf(parent.sparkConf());
        LoadedCheckpoint c = LoadedCheckpoint.open(checkpoint, new ArrayList<>(), conf);
        byte[] file = Safetensors.write(tensors(c), Map.of("format", "pt", "ponder_step", Long.toString(c.data().step()),
                "family", c.config().getString("model.family")));
        HadoopFiles.writeBytes(HadoopFiles.qualify(out, conf), file, conf);
        spec.commandLine().getOut().printf("export: %d tensors, %d parameters (step %d) -> %s%n",
                c.model().params().specs().size(), c.model().params().size(), c.data().step(), out);
        return 0;
    }

    /** Every parameter under its registered (reference) name, in layout order. */
    static Map<String, Safetensors.Tensor> tensors(LoadedCheckpoint c) {
        Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
        for (ParamSpec s : c.model().params().specs()) {
            float[] values = new float[Math.toIntExact(s.length())];
            Bulk.copyTo(c.model().params().value(s.name()), values, 0);
            out.put(s.name(), new Safetensors.Tensor(s.shape(), values));
        }
        return out;
    }
}
