package dev.ponder.spark.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.stats.EventStats;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The peer baseline: dl4j-spark 1.0.0-M2's ParameterAveragingTrainingMaster training a dense
 * network of a given parameter count with Adam (parameters and updater state averaged, as ours),
 * {@code workers} workers, averaging every {@code k} minibatches of {@code batch} examples. Its
 * own training statistics give each round's wall time and each worker's fit (local step) times.
 */
final class Dl4jAveraging {
    /** The time source the stats use by default queries pool.ntp.org: no network here. */
    static final String TIME_SOURCE = "-Dorg.deeplearning4j.spark.time.TimeSource="
            + "org.deeplearning4j.spark.time.SystemClockTimeSource";
    static final int IO = 256; // input and output width of the network

    private Dl4jAveraging() {}

    /** Per round (ms): wall time, broadcast creation, aggregation, slowest worker's fit time. */
    record Round(double roundMs, double broadcastMs, double aggregateMs, double localMs, double fetchMs) {
        double overheadMs() {
            return roundMs - localMs;
        }
    }

    record Result(long parameters, List<Round> rounds) {}

    /** Two hidden layers of width h: params = 256h + h + h*h + h + 256h + 256, h solved for {@code params}. */
    static MultiLayerConfiguration network(long params) {
        double b = 2 * IO + 2;
        int h = (int) Math.round((-b + Math.sqrt(b * b + 4.0 * (params - IO))) / 2);
        return new NeuralNetConfiguration.Builder().seed(1).updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nIn(IO).nOut(h).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nIn(h).nOut(h).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(h).nOut(IO)
                        .activation(Activation.SOFTMAX).build())
                .build();
    }

    static Result run(JavaSparkContext sc, long params, int workers, int k, int batch, int rounds) {
        ParameterAveragingTrainingMaster tm = new ParameterAveragingTrainingMaster.Builder(batch)
                .batchSizePerWorker(batch).averagingFrequency(k).workerPrefetchNumBatches(0)
                .rddTrainingApproach(RDDTrainingApproach.Direct) // in memory: no export of the data to files
                .collectTrainingStats(true).rngSeed(1).build();
        SparkDl4jMultiLayer net = new SparkDl4jMultiLayer(sc, network(params), tm);
        net.setCollectTrainingStats(true);
        List<DataSet> data = new ArrayList<>();
        for (int i = 0; i < rounds * workers * k; i++) {
            DataSet d = new DataSet(Nd4j.rand(batch, IO), Nd4j.zeros(batch, IO));
            for (int r = 0; r < batch; r++) {
                d.getLabels().putScalar(r, (i + r) % IO, 1.0);
            }
            data.add(d);
        }
        net.fit(sc.parallelize(data, workers));
        SparkTrainingStats stats = net.getSparkTrainingStats();
        List<EventStats> roundEvents = events(stats, "ParameterAveragingMasterMapPartitionsTimesMs");
        List<EventStats> broadcast = events(stats, "ParameterAveragingMasterBroadcastCreateTimesMs");
        List<EventStats> aggregate = events(stats, "ParameterAveragingMasterAggregateTimesMs");
        List<EventStats> fits = events(stats, "ParameterAveragingWorkerFitTimesMs");
        List<EventStats> fetches = events(stats, "ParameterAveragingWorkerBroadcastGetValueTimeMs");
        List<Round> out = new ArrayList<>();
        for (int i = 0; i < roundEvents.size(); i++) {
            EventStats r = roundEvents.get(i);
            long end = r.getStartTime() + r.getDurationMs();
            Map<String, Long> fitPerWorker = new HashMap<>(); // a worker = one executor JVM (one core each)
            for (EventStats f : fits) {
                if (f.getStartTime() >= r.getStartTime() && f.getStartTime() <= end) {
                    fitPerWorker.merge(f.getMachineID() + "/" + f.getJvmID(), f.getDurationMs(), Long::sum);
                }
            }
            long fetch = fetches.stream().filter(f -> f.getStartTime() >= r.getStartTime() && f.getStartTime() <= end)
                    .mapToLong(EventStats::getDurationMs).max().orElse(0);
            out.add(new Round(r.getDurationMs(), at(broadcast, i), at(aggregate, i),
                    fitPerWorker.values().stream().mapToLong(Long::longValue).max().orElse(0), fetch));
        }
        return new Result(net.getNetwork().numParams(), out);
    }

    private static double at(List<EventStats> events, int i) {
        return i < events.size() ? events.get(i).getDurationMs() : Double.NaN;
    }

    /** A statistic from the master's stats or, for worker statistics, its nested ones. */
    static List<EventStats> events(SparkTrainingStats stats, String key) {
        for (SparkTrainingStats s = stats; s != null; s = s.getNestedTrainingStats()) {
            if (s.getKeySet().contains(key)) {
                return s.getValue(key);
            }
        }
        throw new IllegalStateException("dl4j-spark training stats: no " + key + " in " + stats.getKeySet());
    }
}
