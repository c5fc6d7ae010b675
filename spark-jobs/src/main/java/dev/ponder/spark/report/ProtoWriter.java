package dev.ponder.spark.report;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A minimal protobuf wire-format encoder: just the field kinds TensorBoard's Event, Summary and
 * HistogramProto use (varint, fixed64 double, fixed32 float, length-delimited strings, nested
 * messages and packed doubles). Fields are written in the order the caller gives them.
 */
final class ProtoWriter {
    private static final int VARINT = 0;
    private static final int FIXED64 = 1;
    private static final int LENGTH_DELIMITED = 2;
    private static final int FIXED32 = 5;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    ProtoWriter int64(int field, long v) {
        tag(field, VARINT);
        varint(v);
        return this;
    }

    ProtoWriter float64(int field, double v) {
        tag(field, FIXED64);
        fixed64(Double.doubleToRawLongBits(v));
        return this;
    }

    ProtoWriter float32(int field, float v) {
        tag(field, FIXED32);
        fixed32(Float.floatToRawIntBits(v));
        return this;
    }

    ProtoWriter string(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    ProtoWriter message(int field, ProtoWriter m) {
        return bytes(field, m.toByteArray());
    }

    /** A repeated double field in packed form (proto3's default for repeated scalars). */
    ProtoWriter packedDoubles(int field, double[] values) {
        if (values.length == 0) {
            return this; // an empty packed field is simply absent
        }
        tag(field, LENGTH_DELIMITED);
        varint(8L * values.length);
        for (double v : values) {
            fixed64(Double.doubleToRawLongBits(v));
        }
        return this;
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private ProtoWriter bytes(int field, byte[] b) {
        tag(field, LENGTH_DELIMITED);
        varint(b.length);
        out.writeBytes(b);
        return this;
    }

    private void tag(int field, int wireType) {
        varint(((long) field << 3) | wireType);
    }

    /** Base-128, least significant group first; negative int64 values take ten bytes, as in protobuf. */
    private void varint(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private void fixed64(long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)) & 0xFF);
        }
    }

    private void fixed32(int v) {
        for (int i = 0; i < 4; i++) {
            out.write((v >>> (8 * i)) & 0xFF);
        }
    }
}
