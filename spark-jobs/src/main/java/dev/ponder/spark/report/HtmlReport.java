package dev.ponder.spark.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The comparison report: one HTML file with everything inline (styles, data as JSON, a small
 * script that draws SVG), so it opens from disk, an object store download or an e-mail with no
 * network. The comparison table is plain HTML written here, so it reads even without scripts;
 * the plots (loss curves, per-token compute histograms, expert load heatmaps) are drawn by the
 * script in the template resource {@code report.html}.
 */
public final class HtmlReport {
    static final String[] PALETTE = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
        "#e377c2", "#7f7f7f", "#bcbd22"};
    private static final ObjectMapper JSON = new ObjectMapper();

    private HtmlReport() {}

    /** Loads the runs, renders and writes the report; returns where it was written. */
    public static Path write(List<String> runDirs, String out, Configuration conf) {
        List<RunData> runs = runDirs.stream().map(r -> RunData.load(r, conf)).toList();
        Path target = dev.ponder.prep.io.HadoopFiles.qualify(out, conf);
        ReportFiles.write(target, render(runs, "Ponder report").getBytes(StandardCharsets.UTF_8), conf);
        return target;
    }

    public static String render(List<RunData> runs, String title) {
        Set<String> names = new HashSet<>();
        ArrayNode data = JsonNodeFactory.instance.arrayNode();
        StringBuilder table = new StringBuilder();
        table.append("<table id=\"comparison\"><thead><tr><th>Run</th><th>Family</th><th>Parameters</th>"
                + "<th>FLOPs/token</th><th>Tokens/s</th><th>Steps</th><th>Tokens seen</th><th>Train loss</th>"
                + "<th>Val loss</th><th>Val ppl</th></tr></thead><tbody>\n");
        for (int i = 0; i < runs.size(); i++) {
            RunData r = runs.get(i);
            String name = r.name;
            for (int n = 2; !names.add(name); n++) { // two runs with the same directory name
                name = r.name + " (" + n + ")";
            }
            String color = PALETTE[i % PALETTE.length];
            ObjectNode o = r.toJson();
            o.put("name", name);
            o.put("color", color);
            data.add(o);
            double valLoss = r.finalValLoss();
            table.append("<tr><td><span class=\"swatch\" style=\"background:").append(color).append("\"></span>")
                    .append(escape(name)).append("<div class=\"where\">").append(escape(r.location)).append("</div></td>")
                    .append(cell(escape(r.family())))
                    .append(cell(count(r.number("parameters", null))))
                    .append(cell(si(r.number("flops_per_token", "flops_per_token"))))
                    .append(cell(fixed(r.number("tokens_per_s", "tokens_per_s"), 0)))
                    .append(cell(count(r.number("step", "step"))))
                    .append(cell(si(r.number("tokens_seen", "tokens_seen"))))
                    .append(cell(fixed(r.number("train_loss", "loss"), 4)))
                    .append(cell(fixed(valLoss, 4)))
                    .append(cell(fixed(Math.exp(valLoss), 2)))
                    .append("</tr>\n");
        }
        table.append("</tbody></table>");
        ObjectNode page = JsonNodeFactory.instance.objectNode();
        page.set("runs", data);
        String json;
        try {
            json = JSON.writeValueAsString(page);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Inside <script>, "</script" would end the block: no '<' may appear literally in the JSON.
        json = json.replace("<", "\\u003c");
        String generated = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        return template()
                .replace("@TITLE@", escape(title))
                .replace("@GENERATED@", escape(generated + ", " + runs.size() + " run(s)"))
                .replace("@TABLE@", table.toString())
                .replace("@DATA@", json);
    }

    private static String template() {
        try (InputStream in = HtmlReport.class.getResourceAsStream("report.html")) {
            if (in == null) {
                throw new IllegalStateException("report.html template missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String cell(String s) {
        return "<td>" + s + "</td>";
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String fixed(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "&ndash;";
    }

    private static String count(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%,d", (long) v) : "&ndash;";
    }

    /** 1.23 M, 45.6 G: FLOPs and token counts span many orders of magnitude. */
    static String si(double v) {
        if (!Double.isFinite(v)) {
            return "&ndash;";
        }
        String[] units = {"", " k", " M", " G", " T", " P"};
        int u = 0;
        double x = v;
        while (Math.abs(x) >= 1000 && u < units.length - 1) {
            x /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, u == 0 ? "%.0f%s" : "%.3g%s", x, units[u]);
    }
}
