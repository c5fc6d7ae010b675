package dev.ponder.spark.report;

import dev.ponder.core.metrics.Histogram;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.spark.cli.PonderCli;
import dev.ponder.spark.train.MetricsLog;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `ponder report` on two runs, rendered by a real headless Chromium (Debian's chromium package). */
class HtmlReportTest {
    static final Path SCREENSHOT = Path.of("target", "report-screenshot.png").toAbsolutePath();

    /** A run directory as training leaves it: config.json, metrics.jsonl (with compute records), eval.json. */
    static Path fakeRun(Path dir, String family, int experts, double lossOffset) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"seed\": 1, \"model\": {\"family\": \"" + family + "\"}}");
        MetricsLog log = new MetricsLog(new org.apache.hadoop.fs.Path(dir.toUri()), new Configuration(), 0);
        for (long step = 4; step <= 40; step += 4) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("step", step);
            r.put("loss", lossOffset + 4.0 / Math.sqrt(step));
            r.put("tokens_per_s", 900.0 + step);
            r.put("flops_per_token", 2.0e6);
            r.put("tokens_seen", step * 256);
            log.append(r);
            if (step % 8 == 0) {
                log.append(Map.of("step", step, "val_loss", lossOffset + 4.2 / Math.sqrt(step),
                        "val_ppl", Math.exp(lossOffset + 4.2 / Math.sqrt(step))));
            }
            Map<String, Object> compute = new LinkedHashMap<>();
            compute.put("step", step);
            Histogram depth = Histogram.integers();
            Histogram flops = Histogram.exponential();
            for (int t = 0; t < 256; t++) {
                int d = experts == 0 ? 4 : 1 + (int) ((t * 7 + step) % 4);
                depth.add(d);
                flops.add(d * 5.0e5);
            }
            compute.put("histograms", Map.of("depth", depth.toValue().toMap(), "flops", flops.toValue().toMap()));
            if (experts > 0) {
                Map<String, Object> load = new LinkedHashMap<>();
                for (int layer = 0; layer < 2; layer++) {
                    List<Long> counts = new ArrayList<>();
                    for (int e = 0; e < experts; e++) {
                        counts.add(e == experts - 1 && layer == 1 ? 0L : 10L + (e * step * (layer + 1)) % 23);
                    }
                    load.put("ff/layer_" + layer, counts);
                }
                compute.put("expert_load", load);
            }
            log.append(compute);
        }
        log.flush();
        Files.writeString(dir.resolve("eval.json"), "{\"step\": 40, \"val_loss\": " + (lossOffset + 0.7)
                + ", \"parameters\": 123456, \"flops_per_token\": 2.0e6, \"tokens_per_s\": 950.5}");
        return dir;
    }

    @Test
    void reportRendersInHeadlessChromium(@TempDir Path tmp) throws Exception {
        Path dense = fakeRun(tmp.resolve("dense"), "dense", 0, 1.0);
        Path moe = fakeRun(tmp.resolve("moeut"), "moeut", 8, 0.8);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = PonderCli.execute(new String[] {"report", "--runs", dense.toString(), moe.toString()},
                new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
        Path html = dense.resolve("report.html");
        assertTrue(out.toString().contains("report.html"), out.toString());
        String page = Files.readString(html);
        // Self-contained: nothing is fetched (the SVG namespace string is a name, not a request).
        for (String fetch : new String[] {" src=", "href=", "@import", "url(", "fetch(", "XMLHttpRequest"}) {
            assertFalse(page.contains(fetch), "the report must not load anything: found " + fetch);
        }
        assertTrue(page.contains("123,456") && page.contains("moeut<div class=\"where\">") && page.contains("2.00 M"),
                "table");
        assertFalse(Files.exists(dense.resolve(".report.html.crc")));
        StringWriter bad = new StringWriter();
        assertEquals(2, PonderCli.execute(new String[] {"report", "--runs", tmp.resolve("nothing").toString()},
                new PrintWriter(new StringWriter(), true), new PrintWriter(bad, true)));
        assertTrue(bad.toString().contains("metrics.jsonl"), bad.toString());

        String chromium = chromium();
        Assumptions.assumeTrue(chromium != null, "chromium is not installed (Debian package `chromium`; .ci/run "
                + "installs it), so the report was not rendered");
        String dom = runChromium(chromium, tmp, html, "--dump-dom");
        assertTrue(dom.contains("data-rendered=\"true\""), "the script ran to the end:\n" + tail(dom));
        for (String id : new String[] {"plot-loss", "plot-val-ppl", "plot-throughput", "hist-depth", "hist-flops",
            "heatmap-1-ff_layer_0", "heatmap-1-ff_layer_1", "comparison"}) {
            assertTrue(dom.contains("id=\"" + id + "\""), id + " rendered");
        }
        assertFalse(dom.contains("heatmap-0-"), "the dense run has no expert heatmap");
        assertEquals(4, count(svg(dom, "plot-loss"), "class=\"series\""), "train and validation curves of two runs");
        assertEquals(2, count(svg(dom, "plot-throughput"), "class=\"series\""));
        assertEquals(2 * 10 * 8, count(dom, "class=\"cell\""), "2 layers x 10 steps x 8 experts");
        assertTrue(count(dom, "class=\"bar\"") >= 2 + 2 * 4, "histogram bars");

        Files.createDirectories(SCREENSHOT.getParent());
        Files.deleteIfExists(SCREENSHOT);
        runChromium(chromium, tmp, html, "--screenshot=" + SCREENSHOT, "--window-size=1200,2000",
                "--hide-scrollbars");
        BufferedImage png = ImageIO.read(SCREENSHOT.toFile());
        assertEquals(1200, png.getWidth());
        int inked = 0;
        for (int y = 0; y < png.getHeight(); y += 4) {
            for (int x = 0; x < png.getWidth(); x += 4) {
                inked += (png.getRGB(x, y) & 0xFFFFFF) != 0xFFFFFF ? 1 : 0;
            }
        }
        assertTrue(inked > 2000, "the screenshot shows content (" + inked + " sampled non-white pixels)");
    }

    static String chromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : new String[] {"chromium", "chromium-browser"}) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        return null;
    }

    static String runChromium(String chromium, Path tmp, Path html, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + Files.createTempDirectory(tmp, "chromium-profile")));
        cmd.addAll(List.of(extra));
        cmd.add(html.toUri().toString());
        Path log = Files.createTempFile(tmp, "chromium", ".log");
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 90 s: " + tail(Files.readString(log)));
        }
        assertEquals(0, p.exitValue(), "chromium failed: " + tail(Files.readString(log)));
        return stdout;
    }

    /** The markup of the svg element with this id. */
    static String svg(String dom, String id) {
        int start = dom.indexOf("id=\"" + id + "\"");
        assertTrue(start >= 0, id);
        return dom.substring(start, dom.indexOf("</svg>", start));
    }

    static int count(String s, String needle) {
        Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(s);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    static String tail(String s) {
        return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
    }
}
