package dev.ponder.spark.cli;

import dev.ponder.prep.io.HadoopFiles;
import dev.ponder.spark.config.ConfigLoader;
import dev.ponder.spark.config.ResolvedConfig;
import dev.ponder.spark.config.RunSchema;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/** Loads run configurations for the subcommands: a YAML file (any Hadoop URI) plus --set overrides. */
final class RunConfigs {
    private RunConfigs() {}

    static ResolvedConfig load(String location, List<String> sets, Configuration conf) {
        String yaml;
        try {
            yaml = HadoopFiles.readString(HadoopFiles.qualify(location, conf), conf);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--config " + location + ": cannot read (" + e.getMessage() + ")", e);
        }
        return ConfigLoader.resolve(yaml, location, sets, RunSchema::forRaw);
    }

    /** The configuration stored in a checkpoint, with overrides applied on top. */
    static ResolvedConfig fromCheckpoint(Map<String, Object> nested, List<String> sets, String where) {
        String json;
        try {
            json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(nested);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return ConfigLoader.resolve(json, where, sets, RunSchema::forRaw);
    }
}
