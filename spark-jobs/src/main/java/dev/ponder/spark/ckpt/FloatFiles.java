package dev.ponder.spark.ckpt;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** float[] <-> little-endian bytes in bulk (no per-element stream calls). */
final class FloatFiles {
    private FloatFiles() {}

    static byte[] toBytes(float[] values) {
        ByteBuffer bb = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(values);
        return bb.array();
    }

    static float[] fromBytes(byte[] bytes, String file) {
        if (bytes.length % Float.BYTES != 0) {
            throw new IllegalStateException(file + ": size " + bytes.length + " is not a multiple of 4");
        }
        float[] out = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
