package dev.ponder.spark.train;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * float[] through Java serialization in bulk. ObjectOutputStream writes a float[] one element at
 * a time; parameters and optimizer state cross the wire four times a round (broadcast out and in,
 * result out and in), and measured here at 38M floats that was 365 ms per crossing against about
 * 80 ms for 64 KB chunks copied with a FloatBuffer (an intrinsic bulk copy).
 */
final class BulkFloats {
    private static final int CHUNK_FLOATS = 16 * 1024;

    private BulkFloats() {}

    static void write(ObjectOutputStream out, float[] values) throws IOException {
        out.writeInt(values.length);
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_FLOATS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int off = 0; off < values.length; off += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, values.length - off);
            buf.clear();
            buf.asFloatBuffer().put(values, off, n);
            out.write(buf.array(), 0, n * Float.BYTES);
        }
    }

    /**
     * The same bytes as {@link #write(ObjectOutputStream, float[])} of {@code values}' contents,
     * read from its native memory in chunks: no Java copy of the whole array (a worker's result
     * is 16 bytes per parameter, 155 MB at 12.9M parameters, on a small executor heap).
     */
    static void write(ObjectOutputStream out, INDArray values) throws IOException {
        if (values.dataType() != DataType.FLOAT || values.isView() || values.ordering() != 'c') {
            float[] copy = new float[Math.toIntExact(values.length())];
            dev.ponder.core.tensor.Bulk.copyTo(values, copy, 0); // checks contiguity, converts DOUBLE
            write(out, copy);
            return;
        }
        int length = Math.toIntExact(values.length());
        out.writeInt(length);
        FloatBuffer src = values.data().asNioFloat();
        int base = (int) values.offset();
        float[] chunk = new float[Math.min(CHUNK_FLOATS, length)];
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_FLOATS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int off = 0; off < length; off += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, length - off);
            src.position(base + off);
            src.get(chunk, 0, n);
            buf.clear();
            buf.asFloatBuffer().put(chunk, 0, n);
            out.write(buf.array(), 0, n * Float.BYTES);
        }
    }

    static float[] read(ObjectInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            throw new IOException("float array: expected a length >= 0, found " + length);
        }
        float[] values = new float[length];
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_FLOATS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int off = 0; off < length; off += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, length - off);
            in.readFully(buf.array(), 0, n * Float.BYTES);
            buf.clear();
            buf.asFloatBuffer().get(values, off, n);
        }
        return values;
    }
}
