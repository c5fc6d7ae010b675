package dev.ponder.spark.report;

import dev.ponder.core.metrics.HistogramValue;
import dev.ponder.core.metrics.Histogram;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Event files read back by a parser that shares no code with the writer, and by TensorBoard itself. */
class TensorBoardLogTest {
    static final double[] DEPTHS = {1, 2, 2, 3, 3, 3, 4, 0, -2.5};

    /** Writes a small log: three train records, a validation record and a compute record, flushed twice. */
    static Path writeLog(Path runDir) throws Exception {
        TensorBoardLog tb = new TensorBoardLog(new org.apache.hadoop.fs.Path(runDir.toUri()), new Configuration());
        for (int step = 1; step <= 3; step++) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("step", (long) step);
            r.put("loss", 5.0 - step);
            r.put("lr", 1e-3 * step);
            r.put("tokens_per_s", 1000.0 + step);
            r.put("flops_per_token", 2.5e6);
            r.put("round_start_step", 0L);
            r.put("round_seconds", 0.5 * step);
            tb.addMetrics(r);
        }
        tb.addMetrics(Map.of("step", 3L, "val_loss", 2.25, "val_ppl", Math.exp(2.25)));
        tb.flush();
        Path file = Path.of(tb.file().toUri());
        byte[] first = Files.readAllBytes(file);
        Histogram depth = Histogram.exponential(); // negative and zero values exercise every bucket kind
        for (double d : DEPTHS) {
            depth.add(d);
        }
        Map<String, Object> compute = new LinkedHashMap<>();
        compute.put("step", 3L);
        compute.put("histograms", Map.of("depth", depth.toValue().toMap()));
        compute.put("expert_load", Map.of("layer_0", List.of(10, 0, 5, 5)));
        tb.addMetrics(compute);
        tb.flush();
        byte[] second = Files.readAllBytes(file);
        assertTrue(second.length > first.length);
        assertArrayEquals(first, Arrays.copyOf(second, first.length), "a rewrite only appends");
        return file;
    }

    @Test
    void independentParserReadsEveryRecordWithValidCrcs(@TempDir Path tmp) throws Exception {
        Path file = writeLog(tmp);
        assertTrue(file.getFileName().toString().startsWith("events.out.tfevents."), file.toString());
        assertEquals(tmp.resolve("tb"), file.getParent());
        try (Stream<Path> s = Files.list(file.getParent())) {
            assertEquals(List.of(file), s.collect(Collectors.toList()), "no checksum side files next to the events");
        }
        List<IndependentEventParser.Event> events = IndependentEventParser.parse(Files.readAllBytes(file));
        assertEquals("brain.Event:2", events.get(0).fileVersion());
        assertTrue(Math.abs(events.get(0).wallTime() - System.currentTimeMillis() / 1000.0) < 600);

        Map<String, List<Float>> scalars = new LinkedHashMap<>();
        Map<String, IndependentEventParser.Histo> histos = new LinkedHashMap<>();
        for (IndependentEventParser.Event e : events.subList(1, events.size())) {
            assertEquals(1, e.values().size());
            IndependentEventParser.Value v = e.values().get(0);
            if (v.simpleValue() != null) {
                scalars.computeIfAbsent(v.tag() + "@" + e.step(), k -> new java.util.ArrayList<>()).add(v.simpleValue());
            } else {
                histos.put(v.tag() + "@" + e.step(), v.histo());
            }
        }
        assertEquals(List.of(3.0f), scalars.get("train/loss@2"));
        assertEquals(List.of((float) 3e-3), scalars.get("train/lr@3"));
        assertEquals(List.of(1001.0f), scalars.get("perf/tokens_per_s@1"));
        assertEquals(List.of(2.5e6f), scalars.get("perf/flops_per_token@1"));
        assertEquals(List.of(1.0f), scalars.get("perf/round_seconds@2"));
        assertEquals(List.of(2.25f), scalars.get("val/loss@3"));
        assertTrue(scalars.keySet().stream().noneMatch(k -> k.contains("round_start_step")), scalars.keySet().toString());
        assertEquals(List.of(0.25f), scalars.get("expert_balance/layer_0/dead_fraction@3"));

        IndependentEventParser.Histo depth = histos.get("compute/depth@3");
        assertEquals(-2.5, depth.min());
        assertEquals(4.0, depth.max());
        assertEquals(DEPTHS.length, depth.num());
        assertEquals(Arrays.stream(DEPTHS).sum(), depth.sum(), 1e-12);
        assertEquals(Arrays.stream(DEPTHS).map(x -> x * x).sum(), depth.sumSquares(), 1e-12);
        assertEquals(DEPTHS.length, Arrays.stream(depth.bucket()).sum());
        // Every value lies in its bucket [previous limit, limit), TensorFlow's rule; checked per value.
        for (double x : DEPTHS) {
            int b = 0;
            while (depth.bucketLimit()[b] <= x) {
                b++;
            }
            assertTrue(depth.bucket()[b] > 0, "bucket of " + x);
            assertTrue(b == 0 || depth.bucketLimit()[b - 1] <= x);
        }
        assertEquals(Double.MAX_VALUE, depth.bucketLimit()[depth.bucketLimit().length - 1]);

        IndependentEventParser.Histo load = histos.get("expert_load/layer_0@3");
        assertArrayEquals(new double[] {0.5, 1.5, 2.5, 3.5}, load.bucketLimit());
        assertArrayEquals(new double[] {10, 0, 5, 5}, load.bucket());
        assertEquals(20, load.num());
    }

    @Test
    void independentParserRejectsACorruptByte(@TempDir Path tmp) throws Exception {
        byte[] bytes = Files.readAllBytes(writeLog(tmp));
        bytes[bytes.length / 2] ^= 0x10;
        assertThrows(IllegalStateException.class, () -> IndependentEventParser.parse(bytes));
    }

    @Test
    void tensorBoardLoadsTheFile(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(python("import tensorboard") == 0, "python3 with the tensorboard package is not "
                + "installed here (.ci/run installs it from /opt/pypi/files); the independent Java parser still ran");
        Path file = writeLog(tmp);
        Path script = tmp.resolve("tb_read.py");
        try (InputStream in = getClass().getResourceAsStream("tb_read.py")) {
            Files.copy(in, script);
        }
        Process p = new ProcessBuilder("python3", script.toString(), file.toString()).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        JsonNode tb = new ObjectMapper().readTree(out);
        List<IndependentEventParser.Event> mine = IndependentEventParser.parse(Files.readAllBytes(file));
        assertEquals(mine.size(), tb.get("records").asInt(), "TensorBoard's CRC-checking reader saw every record");
        assertEquals("brain.Event:2", tb.get("file_version").asText());
        JsonNode loss = tb.get("scalars").get("train/loss");
        assertEquals(3, loss.size());
        assertEquals(3, loss.get(2).get(0).asLong());
        assertEquals(2.0, loss.get(2).get(1).asDouble(), 1e-6);
        assertEquals(Math.exp(2.25), tb.get("scalars").get("val/ppl").get(0).get(1).asDouble(), 1e-4);

        JsonNode depth = tb.get("histograms").get("compute/depth").get(0);
        HistogramValue expected = histogramOf(DEPTHS);
        assertEquals(3, depth.get("step").asLong());
        assertEquals(expected.num(), depth.get("num").asDouble());
        assertEquals(expected.sum(), depth.get("sum").asDouble(), 1e-12);
        assertEquals(expected.min(), depth.get("min").asDouble());
        assertArrayEquals(expected.bucketLimit(), doubles(depth.get("bucket_limit")));
        assertArrayEquals(expected.bucket(), doubles(depth.get("bucket")));
        JsonNode load = tb.get("histograms").get("expert_load/layer_0").get(0);
        assertArrayEquals(new double[] {10, 0, 5, 5}, doubles(load.get("bucket")));

        // TensorBoard's reader checks the CRCs too: a flipped byte is a data-loss error, not silently read.
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 30] ^= 0x01;
        Path bad = tmp.resolve("bad").resolve(file.getFileName());
        Files.createDirectories(bad.getParent());
        Files.write(bad, bytes);
        Process q = new ProcessBuilder("python3", script.toString(), bad.toString()).redirectErrorStream(true).start();
        String qOut = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(q.waitFor(60, TimeUnit.SECONDS));
        assertNotEquals(0, q.exitValue(), qOut);
        assertTrue(qOut.contains("crc32"), qOut);
    }

    static HistogramValue histogramOf(double[] xs) {
        Histogram h = Histogram.exponential();
        for (double x : xs) {
            h.add(x);
        }
        return h.toValue();
    }

    static double[] doubles(JsonNode a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = a.get(i).asDouble();
        }
        return d;
    }

    static int python(String code) {
        try {
            Process p = new ProcessBuilder("python3", "-c", code).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (java.io.IOException | InterruptedException e) {
            return -1;
        }
    }
}
