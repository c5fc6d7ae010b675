package dev.ponder.spark.train;

import dev.ponder.core.metrics.RoutingStats;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A few console lines on expert load balance over a window of training (the rounds since the
 * last checkpoint): per routed module, summed over its repeats, the coefficient of variation of
 * tokens per expert, max/mean, and how many experts got no token at all in the window.
 */
final class ExpertLoadSummary {
    private ExpertLoadSummary() {}

    static List<String> lines(RoutingStats window, long fromStep, long toStep) {
        List<String> out = new ArrayList<>();
        if (window.isEmpty()) {
            return out;
        }
        Set<String> modules = new LinkedHashSet<>();
        window.loads().keySet().forEach(k -> modules.add(k.module()));
        out.add(String.format(Locale.ROOT, "expert load, steps %d-%d (summed over repeats):", fromStep + 1, toStep));
        for (String module : modules) {
            RoutingStats.Load l = window.moduleTotal(module);
            long[] per = l.perExpert();
            long dead = 0;
            for (long c : per) {
                dead += c == 0 ? 1 : 0;
            }
            out.add(String.format(Locale.ROOT, "  %-28s cv %.3f  max/mean %.2f  dead %d/%d", module,
                    l.coefficientOfVariation(), l.maxOverMean(), dead, per.length));
        }
        return out;
    }
}
