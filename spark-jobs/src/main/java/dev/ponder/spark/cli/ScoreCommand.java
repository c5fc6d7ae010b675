package dev.ponder.spark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "score", mixinStandardHelpOptions = true, description = "Logits, loss, regulariser and gradients of a token batch (.npy) as safetensors.")
final class ScoreCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "checkpoint URI")
    String checkpoint;

    @Option(names = "--tokens", required = true, description = "int tokens [B, T+1] as .npy")
    String tokens;

    @Option(names = "--out", required = true, description = "output .safetensors")
    String out;

    @Option(names = "--train-mode", description = "compute reg_loss in training mode")
    boolean trainMode;

    @Option(names = "--grads", description = "also write grad.<name> for every parameter")
    boolean grads;
    @Override
    public Integer call() {
        throw new PendingFeature("score", "issue 4");
    }
}
