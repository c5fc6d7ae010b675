package dev.ponder.spark.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.prep.io.HadoopFiles;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * What the report needs from one run directory: {@code config.json} (resolved configuration),
 * {@code metrics.jsonl} (train, validation and compute records) and, when the run finished,
 * {@code eval.json} (final validation, parameters, FLOPs/token, throughput). Kept as JSON trees:
 * the page's script draws from them directly.
 */
public final class RunData {
    public static final String EVAL_FILE = "eval.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    final String name;
    final String location;
    final JsonNode config;
    final JsonNode eval;
    /** [[step, loss], ...], [[step, val_loss, val_ppl], ...], [[step, tokens_per_s], ...]. */
    final ArrayNode train = NODES.arrayNode();
    final ArrayNode val = NODES.arrayNode();
    final ArrayNode throughput = NODES.arrayNode();
    /** The last histogram of each per-token compute quantity, with its step. */
    final ObjectNode histograms = NODES.objectNode();
    /** layer -> {steps: [...], counts: [[tokens per expert], ...]} over time. */
    final ObjectNode expertLoad = NODES.objectNode();
    JsonNode lastTrain;

    private RunData(String name, String location, JsonNode config, JsonNode eval) {
        this.name = name;
        this.location = location;
        this.config = config;
        this.eval = eval;
    }

    /** Reads a run directory; metrics.jsonl and config.json must exist, eval.json may not. */
    public static RunData load(String location, Configuration conf) {
        Path dir = HadoopFiles.qualify(location, conf);
        Path metrics = new Path(dir, "metrics.jsonl");
        if (!HadoopFiles.exists(metrics, conf)) {
            throw new IllegalArgumentException("--runs " + location + ": expected a run directory with metrics.jsonl, "
                    + "found none at " + metrics);
        }
        Path configFile = new Path(dir, "config.json");
        JsonNode config = HadoopFiles.exists(configFile, conf) ? parse(HadoopFiles.readString(configFile, conf),
                configFile) : NODES.objectNode();
        Path evalFile = new Path(dir, EVAL_FILE);
        JsonNode eval = HadoopFiles.exists(evalFile, conf) ? parse(HadoopFiles.readString(evalFile, conf), evalFile)
                : NODES.objectNode();
        String path = dir.toUri().getPath().replaceAll("/+$", ""); // a local directory URI may end in '/'
        RunData run = new RunData(path.substring(path.lastIndexOf('/') + 1), path.isEmpty() ? dir.toString()
                : dir.toString().replaceAll("/+$", ""), config, eval);
        for (String line : HadoopFiles.readString(metrics, conf).split("\n")) {
            if (!line.isBlank()) {
                JsonNode r;
                try {
                    r = JSON.readTree(line);
                } catch (IOException e) {
                    continue; // a torn last line of a killed run, as MetricsLog treats it
                }
                run.add(r);
            }
        }
        return run;
    }

    private static JsonNode parse(String text, Path where) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": not valid JSON: " + e.getMessage().split("\n")[0], e);
        }
    }

    private void add(JsonNode r) {
        long step = r.path("step").asLong();
        // Non-finite values (Jackson writes NaN as the string "NaN") are not points of a curve.
        if (r.path("loss").isNumber()) {
            train.add(NODES.arrayNode().add(step).add(r.get("loss").asDouble()));
            if (r.path("tokens_per_s").isNumber()) {
                throughput.add(NODES.arrayNode().add(step).add(r.get("tokens_per_s").asDouble()));
            }
            lastTrain = r;
        }
        if (r.path("val_loss").isNumber()) {
            val.add(NODES.arrayNode().add(step).add(r.get("val_loss").asDouble()).add(r.path("val_ppl").asDouble()));
        }
        if (r.has("histograms")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = r.get("histograms").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                ObjectNode h = e.getValue().deepCopy();
                h.put("step", step);
                histograms.set(e.getKey(), h);
            }
        }
        if (r.has("expert_load")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = r.get("expert_load").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                ObjectNode layer = (ObjectNode) expertLoad.get(e.getKey());
                if (layer == null) {
                    layer = expertLoad.putObject(e.getKey());
                    layer.putArray("steps");
                    layer.putArray("counts");
                }
                ((ArrayNode) layer.get("steps")).add(step);
                ((ArrayNode) layer.get("counts")).add(e.getValue());
            }
        }
    }

    /** A value of the comparison table: eval.json first, then the metrics, else NaN. */
    double number(String evalKey, String metricsKey) {
        if (eval.has(evalKey) && eval.get(evalKey).isNumber()) {
            return eval.get(evalKey).asDouble();
        }
        if (metricsKey != null && lastTrain != null && lastTrain.has(metricsKey)) {
            return lastTrain.get(metricsKey).asDouble();
        }
        return Double.NaN;
    }

    String family() {
        return config.path("model").path("family").asText(eval.path("family").asText("?"));
    }

    double finalValLoss() {
        double v = number("val_loss", null);
        return !Double.isNaN(v) || val.isEmpty() ? v : val.get(val.size() - 1).get(1).asDouble();
    }

    /** The page's view of this run. */
    ObjectNode toJson() {
        ObjectNode o = NODES.objectNode();
        o.put("name", name);
        o.put("family", family());
        o.set("train", train);
        o.set("val", val);
        o.set("throughput", throughput);
        o.set("histograms", histograms);
        o.set("expert_load", expertLoad);
        return o;
    }
}
