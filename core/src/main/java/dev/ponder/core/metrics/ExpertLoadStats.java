package dev.ponder.core.metrics;

/**
 * Balance of one layer's expert load (MODELS.md section 5): coefficient of variation of tokens
 * per expert, max / mean, entropy of the load normalised by ln(experts) (1 = perfectly even), and
 * the share of dead experts (no tokens in the window).
 */
public record ExpertLoadStats(double cv, double maxOverMean, double normalizedEntropy, double deadFraction) {

    public static ExpertLoadStats of(long[] counts) {
        int n = counts.length;
        double total = 0;
        long max = 0;
        int dead = 0;
        for (long c : counts) {
            total += c;
            max = Math.max(max, c);
            dead += c == 0 ? 1 : 0;
        }
        if (n == 0 || total == 0) {
            return new ExpertLoadStats(Double.NaN, Double.NaN, Double.NaN, n == 0 ? Double.NaN : 1.0);
        }
        double mean = total / n;
        double var = 0;
        double entropy = 0;
        for (long c : counts) {
            var += (c - mean) * (c - mean);
            if (c > 0) {
                double p = c / total;
                entropy -= p * Math.log(p);
            }
        }
        double cv = Math.sqrt(var / n) / mean;
        return new ExpertLoadStats(cv, max / mean, n > 1 ? entropy / Math.log(n) : 1.0, (double) dead / n);
    }
}
