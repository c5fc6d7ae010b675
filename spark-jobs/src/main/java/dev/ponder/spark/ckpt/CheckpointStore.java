package dev.ponder.spark.ckpt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.prep.io.HadoopFiles;
import dev.ponder.prep.shard.ShardDataset;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Writes, finds, verifies, loads and prunes checkpoints of one run directory. */
public final class CheckpointStore {
    static final String DIR = "checkpoints";
    static final String COMMIT = "COMMIT";
    static final String PARAMS = "params.f32";
    static final String OPTIMIZER = "optimizer.f32";
    static final String META = "meta.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    private final Configuration conf;
    private final FileSystem fs;

    public CheckpointStore(Path runDir, Configuration conf) {
        this.root = new Path(runDir, DIR);
        this.conf = conf;
        this.fs = HadoopFiles.fs(root, conf);
    }

    public Path stepDir(long step) {
        return new Path(root, String.format("step-%09d", step));
    }

    /** Writes the step's files, then COMMIT. Until COMMIT exists the step is invisible. */
    public Path write(CheckpointData data) {
        Path dir = stepDir(data.step());
        try {
            if (fs.exists(new Path(dir, COMMIT))) {
                throw new IllegalStateException("checkpoint " + dir + " is already committed; refusing to overwrite it");
            }
            fs.mkdirs(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        ObjectNode commit = JSON.createObjectNode();
        commit.put("step", data.step());
        ObjectNode files = commit.putObject("files");
        writeFile(dir, PARAMS, FloatFiles.toBytes(data.params()), files);
        writeFile(dir, OPTIMIZER, FloatFiles.toBytes(data.optimizerState()), files);
        writeFile(dir, META, data.metaJson().getBytes(StandardCharsets.UTF_8), files);
        HadoopFiles.writeString(new Path(dir, COMMIT), commit.toPrettyString(), conf);
        return dir;
    }

    private void writeFile(Path dir, String name, byte[] bytes, ObjectNode files) {
        HadoopFiles.writeBytes(new Path(dir, name), bytes, conf);
        ObjectNode f = files.putObject(name);
        f.put("bytes", bytes.length);
        f.put("sha256", ShardDataset.sha256(bytes));
    }

    /** Steps that have a COMMIT object, ascending (their content is verified on load). */
    public List<Long> committedSteps() {
        List<Long> steps = new ArrayList<>();
        FileStatus[] dirs;
        try {
            dirs = fs.listStatus(root);
        } catch (FileNotFoundException e) {
            return steps;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
        }
        for (FileStatus s : dirs) {
            String name = s.getPath().getName();
            if (s.isDirectory() && name.matches("step-\\d{9}")) {
                long step = Long.parseLong(name.substring(5));
                if (HadoopFiles.exists(new Path(s.getPath(), COMMIT), conf)) {
                    steps.add(step);
                }
            }
        }
        Collections.sort(steps);
        return steps;
    }

    /**
     * The newest committed checkpoint whose files verify. A corrupt one is reported through
     * {@code warn} and skipped in favour of the previous committed step.
     */
    public Optional<CheckpointData> loadLatest(Consumer<String> warn) {
        List<Long> steps = committedSteps();
        for (int i = steps.size() - 1; i >= 0; i--) {
            try {
                return Optional.of(load(steps.get(i)));
            } catch (RuntimeException e) {
                warn.accept("checkpoint " + stepDir(steps.get(i)) + " is unusable (" + e.getMessage()
                        + "); falling back to the previous committed checkpoint");
            }
        }
        return Optional.empty();
    }

    /** Loads and verifies one committed step; throws naming the file that does not match COMMIT. */
    public CheckpointData load(long step) {
        Path dir = stepDir(step);
        JsonNode commit;
        try {
            commit = JSON.readTree(HadoopFiles.readString(new Path(dir, COMMIT), conf));
        } catch (IOException e) {
            throw new IllegalStateException(new Path(dir, COMMIT) + ": not valid JSON: " + e.getMessage(), e);
        }
        byte[] params = verified(dir, PARAMS, commit);
        byte[] optimizer = verified(dir, OPTIMIZER, commit);
        byte[] meta = verified(dir, META, commit);
        return new CheckpointData(step, FloatFiles.fromBytes(params, PARAMS), FloatFiles.fromBytes(optimizer, OPTIMIZER),
                new String(meta, StandardCharsets.UTF_8));
    }

    private byte[] verified(Path dir, String name, JsonNode commit) {
        JsonNode entry = commit.path("files").path(name);
        Path file = new Path(dir, name);
        if (entry.isMissingNode()) {
            throw new IllegalStateException(new Path(dir, COMMIT) + " does not list " + name);
        }
        byte[] bytes = HadoopFiles.readAll(file, conf);
        String sha = ShardDataset.sha256(bytes);
        if (bytes.length != entry.path("bytes").asLong() || !sha.equals(entry.path("sha256").asText())) {
            throw new IllegalStateException(file + ": expected " + entry.path("bytes").asLong() + " bytes with sha256 "
                    + entry.path("sha256").asText() + ", found " + bytes.length + " bytes with sha256 " + sha);
        }
        return bytes;
    }

    /**
     * Keeps the newest {@code keep} committed steps and deletes older committed ones. Uncommitted
     * directories are left alone: one may be a checkpoint another process is still writing.
     */
    public List<Long> prune(int keep) {
        List<Long> steps = committedSteps();
        List<Long> deleted = new ArrayList<>();
        for (int i = 0; i < steps.size() - Math.max(1, keep); i++) {
            Path dir = stepDir(steps.get(i));
            try {
                // COMMIT first: a half-deleted step must never look committed.
                fs.delete(new Path(dir, COMMIT), false);
                fs.delete(dir, true);
                deleted.add(steps.get(i));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
            }
        }
        return deleted;
    }

    /**
     * Loads what a user points at: a step directory (it holds COMMIT) or a run directory (its
     * newest usable committed step). Throws naming the location when there is none.
     */
    public static CheckpointData open(String location, Configuration conf, Consumer<String> warn) {
        Path p = HadoopFiles.qualify(location, conf);
        if (HadoopFiles.exists(new Path(p, COMMIT), conf)) {
            String name = p.getName();
            if (!name.matches("step-\\d{9}")) {
                throw new IllegalArgumentException(p + ": a committed checkpoint directory must be named step-NNNNNNNNN");
            }
            return new CheckpointStore(p.getParent().getParent(), conf).load(Long.parseLong(name.substring(5)));
        }
        return new CheckpointStore(p, conf).loadLatest(warn).orElseThrow(() -> new IllegalArgumentException(
                "--checkpoint " + location + ": no committed checkpoint there (expected a run directory with "
                        + DIR + "/step-*/COMMIT or a step directory)"));
    }

    public static Map<String, Object> parseMeta(String metaJson) {
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = JSON.readValue(metaJson, Map.class);
            return m;
        } catch (IOException e) {
            throw new IllegalStateException("meta.json: not valid JSON: " + e.getMessage(), e);
        }
    }
}
