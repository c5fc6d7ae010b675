package dev.ponder.spark.report;

import dev.ponder.core.metrics.HistogramValue;

/**
 * Encodes the TensorBoard Event messages Ponder writes (field numbers from tensorflow's
 * event.proto and summary.proto): Event{wall_time=1, step=2, file_version=3, summary=5},
 * Summary{value=1}, Summary.Value{tag=1, simple_value=2, histo=5}, HistogramProto{min=1, max=2,
 * num=3, sum=4, sum_squares=5, bucket_limit=6, bucket=7}.
 */
final class TbEvent {
    /** What TensorBoard expects as the first record of every event file. */
    static final String FILE_VERSION = "brain.Event:2";

    private TbEvent() {}

    static byte[] fileVersion(double wallTime) {
        return new ProtoWriter().float64(1, wallTime).string(3, FILE_VERSION).toByteArray();
    }

    static byte[] scalar(double wallTime, long step, String tag, double value) {
        ProtoWriter v = new ProtoWriter().string(1, tag).float32(2, (float) value);
        return event(wallTime, step, v);
    }

    static byte[] histogram(double wallTime, long step, String tag, HistogramValue h) {
        ProtoWriter histo = new ProtoWriter()
                .float64(1, h.min())
                .float64(2, h.max())
                .float64(3, h.num())
                .float64(4, h.sum())
                .float64(5, h.sumSquares())
                .packedDoubles(6, h.bucketLimit())
                .packedDoubles(7, h.bucket());
        return event(wallTime, step, new ProtoWriter().string(1, tag).message(5, histo));
    }

    private static byte[] event(double wallTime, long step, ProtoWriter value) {
        ProtoWriter summary = new ProtoWriter().message(1, value);
        return new ProtoWriter().float64(1, wallTime).int64(2, step).message(5, summary).toByteArray();
    }
}
