package dev.ponder.spark.cli;

import dev.ponder.core.model.LanguageModel;
import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.model.ModelFactory;
import dev.ponder.spark.ckpt.CheckpointData;
import dev.ponder.spark.ckpt.CheckpointStore;
import dev.ponder.spark.config.ResolvedConfig;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/** A checkpoint opened for inference-side commands: its configuration and a model holding its weights. */
record LoadedCheckpoint(CheckpointData data, ResolvedConfig config, LanguageModel model) {

    @SuppressWarnings("unchecked")
    static LoadedCheckpoint open(String location, List<String> overrides, Configuration conf) {
        CheckpointData data = CheckpointStore.open(location, conf, w -> System.err.println("warning: " + w));
        Map<String, Object> meta = CheckpointStore.parseMeta(data.metaJson());
        ResolvedConfig cfg = RunConfigs.fromCheckpoint((Map<String, Object>) meta.get("config"), overrides,
                location + " (meta.json)");
        LanguageModel model = ModelFactory.create(ModelConfig.fromMap(cfg.section("model")), cfg.getLong("seed"));
        if (model.params().size() != data.params().length) {
            throw new IllegalStateException(location + ": expected " + model.params().size() + " parameters for "
                    + cfg.section("model") + ", found " + data.params().length);
        }
        model.params().copyParamsFrom(data.params());
        return new LoadedCheckpoint(data, cfg, model);
    }

    /** Hadoop settings from --conf spark.hadoop.* (what Spark would apply), for commands without Spark. */
    static Configuration hadoopConf(Map<String, String> sparkConf) {
        Configuration conf = new Configuration();
        sparkConf.forEach((k, v) -> {
            if (k.startsWith("spark.hadoop.")) {
                conf.set(k.substring("spark.hadoop.".length()), v);
            }
        });
        return conf;
    }
}
