package dev.ponder.spark.sweep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A sweep file, as strict as run configurations (an unknown key is an error):
 * <pre>
 * base: conf/train/quickstart-dense.yaml   # optional run configuration the overrides apply to
 * runs_dir: runs/sweep-lr                   # one run directory per point: runs_dir/NAME
 * set: {train.steps: 200}                   # optional overrides for every run
 * runs:                                     # optional named points...
 *   - {name: dense, set: {model.family: dense}}
 * grid: {train.lr: [1.0e-3, 3.0e-3]}        # ...crossed with the optional grid
 * concurrent: 1                             # runs trained at the same time (Spark jobs)
 * report: runs/sweep-lr/report.html         # optional; default runs_dir/report.html
 * </pre>
 * Override keys are run-configuration keys, dotted or nested; their values are checked when
 * each run's configuration is resolved, before anything trains.
 */
public record SweepSpec(String base, String runsDir, int concurrent, String report, List<Point> points) {
    private static final Set<String> KEYS = Set.of("base", "runs_dir", "set", "runs", "grid", "concurrent", "report");

    /** One run of the sweep: its name (the run directory's name) and its overrides, in order. */
    public record Point(String name, List<String> sets) {}

    public static SweepSpec parse(String yaml, String source) {
        Map<String, Object> top = mapping(readYaml(yaml, source), source);
        for (String key : top.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException(source + ": unknown sweep key " + key + " (expected one of "
                        + new java.util.TreeSet<>(KEYS) + ")");
            }
        }
        String runsDir = text(top.get("runs_dir"), source, "runs_dir");
        if (runsDir == null) {
            throw new IllegalArgumentException(source + ": sweep key runs_dir is required (where the run directories go)");
        }
        int concurrent = top.get("concurrent") == null ? 1 : integer(top.get("concurrent"), source);
        List<String> common = overrides(top.get("set"), source + " set");
        List<Point> named = new ArrayList<>();
        if (top.get("runs") != null) {
            if (!(top.get("runs") instanceof List<?> runs) || runs.isEmpty()) {
                throw new IllegalArgumentException(source + ": runs: expected a non-empty list of {name, set}");
            }
            for (Object r : runs) {
                Map<String, Object> run = mapping(r, source + " runs");
                for (String key : run.keySet()) {
                    if (!key.equals("name") && !key.equals("set")) {
                        throw new IllegalArgumentException(source + ": runs: unknown key " + key + " (expected name, set)");
                    }
                }
                String name = text(run.get("name"), source, "runs[].name");
                if (name == null) {
                    throw new IllegalArgumentException(source + ": runs: every run needs a name");
                }
                named.add(new Point(name, overrides(run.get("set"), source + " run " + name)));
            }
        } else {
            named.add(new Point("", List.of()));
        }
        List<Point> points = cross(named, grid(top.get("grid"), source));
        Set<String> names = new LinkedHashSet<>();
        List<Point> out = new ArrayList<>();
        for (Point p : points) {
            String name = safeName(p.name().isEmpty() ? "run" : p.name());
            if (!names.add(name)) {
                throw new IllegalArgumentException(source + ": two runs are named " + name + "; names must be unique");
            }
            List<String> sets = new ArrayList<>(common);
            sets.addAll(p.sets());
            out.add(new Point(name, sets));
        }
        return new SweepSpec(text(top.get("base"), source, "base"), runsDir, concurrent,
                text(top.get("report"), source, "report"), out);
    }

    /** Every named run crossed with every grid point (grid keys vary slowest-first, in file order). */
    private static List<Point> cross(List<Point> named, Map<String, List<String>> grid) {
        List<Point> points = new ArrayList<>(named);
        for (Map.Entry<String, List<String>> axis : grid.entrySet()) {
            List<Point> next = new ArrayList<>();
            String shortKey = axis.getKey().substring(axis.getKey().lastIndexOf('.') + 1);
            for (Point p : points) {
                for (String v : axis.getValue()) {
                    List<String> sets = new ArrayList<>(p.sets());
                    sets.add(axis.getKey() + "=" + v);
                    String part = shortKey + "=" + v;
                    next.add(new Point(p.name().isEmpty() ? part : p.name() + "_" + part, sets));
                }
            }
            points = next;
        }
        return points;
    }

    private static Map<String, List<String>> grid(Object g, String source) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (g == null) {
            return out;
        }
        Map<String, Object> flat = new LinkedHashMap<>();
        flatten("", mapping(g, source + " grid"), flat, source + " grid", true);
        flat.forEach((k, v) -> {
            if (!(v instanceof List<?> values) || values.isEmpty()) {
                throw new IllegalArgumentException(source + ": grid: " + k + " expected a non-empty list of values");
            }
            List<String> vs = new ArrayList<>();
            for (Object x : values) {
                vs.add(scalar(x, source + " grid " + k));
            }
            out.put(k, vs);
        });
        return out;
    }

    private static List<String> overrides(Object set, String where) {
        List<String> out = new ArrayList<>();
        if (set == null) {
            return out;
        }
        Map<String, Object> flat = new LinkedHashMap<>();
        flatten("", mapping(set, where), flat, where, false);
        flat.forEach((k, v) -> out.add(k + "=" + scalar(v, where + " " + k)));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void flatten(String prefix, Map<String, Object> m, Map<String, Object> out, String where,
            boolean listsAllowed) {
        m.forEach((k, v) -> {
            String key = prefix.isEmpty() ? k : prefix + "." + k;
            if (v instanceof Map) {
                flatten(key, (Map<String, Object>) v, out, where, listsAllowed);
            } else if (v instanceof List && !listsAllowed) {
                throw new IllegalArgumentException(where + ": " + key + " expected a single value, found a list "
                        + "(lists of values belong under grid)");
            } else {
                out.put(key, v);
            }
        });
    }

    private static String scalar(Object v, String where) {
        if (v instanceof String || v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        throw new IllegalArgumentException(where + ": expected a scalar value, found " + v);
    }

    /** Run directory names: the grid values as written, with anything unsafe in a path replaced. */
    static String safeName(String s) {
        return s.replaceAll("[^A-Za-z0-9._=+-]", "_");
    }

    private static Object readYaml(String yaml, String source) {
        try {
            return new ObjectMapper(new YAMLFactory()).readValue(yaml, Object.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not valid YAML: " + e.getMessage().split("\n")[0], e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mapping(Object o, String where) {
        if (!(o instanceof Map)) {
            throw new IllegalArgumentException(where + ": expected a mapping, found " + o);
        }
        return (Map<String, Object>) o;
    }

    private static String text(Object o, String source, String key) {
        if (o == null) {
            return null;
        }
        if (!(o instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException(source + ": " + key + ": expected a string, found " + o);
        }
        return s;
    }

    private static int integer(Object o, String source) {
        if (!(o instanceof Integer i) || i < 1) {
            throw new IllegalArgumentException(source + ": concurrent: expected an integer >= 1, found " + o);
        }
        return i;
    }
}
