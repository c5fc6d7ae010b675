package dev.ponder.spark.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ponder.core.params.ParamSpec;
import dev.ponder.core.width.ConfidenceHistory;
import dev.ponder.prep.shard.Cursor;
import dev.ponder.spark.ckpt.CheckpointData;
import dev.ponder.spark.ckpt.CheckpointStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The driver's training state between rounds, and its checkpoint form. meta.json holds the step,
 * each worker's data cursor, the seed (randomness is derived from seed and step, so that is the
 * whole RNG state), the resolved configuration, provenance and the tensor index; for families
 * with per-window state (SHARCS) also that state ({@code sample_history}: the confidence history
 * in its binary form, base64).
 */
final class RunState {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    long step;
    float[] params;
    float[] optimizerState;
    List<Cursor> cursors;
    /** SHARCS: each training window's recent confidences (null for other families). */
    ConfidenceHistory history;

    RunState(long step, float[] params, float[] optimizerState, List<Cursor> cursors) {
        this.step = step;
        this.params = params;
        this.optimizerState = optimizerState;
        this.cursors = new ArrayList<>(cursors);
    }

    CheckpointData toCheckpoint(Map<String, Object> config, Map<String, Object> provenance, List<ParamSpec> specs) {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("step", step);
        List<Map<String, Object>> cs = new ArrayList<>();
        for (Cursor c : cursors) {
            cs.add(Map.of("epoch", c.epoch(), "shard", c.shard(), "row", c.row()));
        }
        meta.put("cursors", cs);
        if (history != null) {
            meta.put("sample_history", java.util.Base64.getEncoder().encodeToString(history.encode()));
        }
        meta.put("rng", Map.of("seed", config.get("seed"), "scheme", "streams derived from (seed, step, worker)"));
        meta.put("config", config);
        meta.put("provenance", provenance);
        List<Map<String, Object>> tensors = new ArrayList<>();
        for (ParamSpec s : specs) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("name", s.name());
            t.put("shape", s.shape());
            t.put("offset", s.offset());
            tensors.add(t);
        }
        meta.put("tensors", tensors);
        try {
            return new CheckpointData(step, params, optimizerState, JSON.writeValueAsString(meta));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static RunState fromCheckpoint(CheckpointData data) {
        Map<String, Object> meta = CheckpointStore.parseMeta(data.metaJson());
        List<Cursor> cursors = new ArrayList<>();
        for (Map<String, Object> c : (List<Map<String, Object>>) meta.getOrDefault("cursors", List.of())) {
            cursors.add(new Cursor(((Number) c.get("epoch")).longValue(), ((Number) c.get("shard")).intValue(),
                    ((Number) c.get("row")).intValue()));
        }
        RunState s = new RunState(data.step(), data.params(), data.optimizerState(), cursors);
        Object h = meta.get("sample_history");
        if (h instanceof String b64) {
            s.history = ConfidenceHistory.decode(java.util.Base64.getDecoder().decode(b64));
        }
        return s;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> configOf(CheckpointData data) {
        Map<String, Object> meta = CheckpointStore.parseMeta(data.metaJson());
        Object c = meta.get("config");
        if (!(c instanceof Map)) {
            throw new IllegalStateException("checkpoint step " + data.step() + ": meta.json has no config");
        }
        return (Map<String, Object>) c;
    }
}
