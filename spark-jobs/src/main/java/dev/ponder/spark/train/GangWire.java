package dev.ponder.spark.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;

/**
 * The messages between a {@link WorkerGang} (driver) and its {@link GangTask}s, over one TCP
 * connection per task. Task to driver: HELLO (magic, token, task index), then one RESULT
 * per round; driver to task: ROUND (a RoundInput) or STOP. A ROUND or RESULT carries its round
 * number, so a result computed for a round the driver has moved past is dropped, and a payload:
 * the Java serialization of RoundInput or RoundResult (whose float arrays go in bulk) as chunks of
 * at most {@link #CHUNK} bytes, each after its length, ended by a length of 0. Chunks let either
 * side stream an object of hundreds of MB (12 bytes per parameter) without a second copy of it as
 * one byte array, and let the reader find the frame's end whatever the deserializer consumed.
 */
final class GangWire {
    static final int MAGIC = 0x506f6e64; // "Pond"
    static final int ROUND = 1;
    static final int STOP = 2;
    static final int RESULT = 3;
    static final int CHUNK = 1 << 20;

    private GangWire() {}

    static void writeHello(DataOutputStream out, byte[] token, int index) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(token.length);
        out.write(token);
        out.writeInt(index);
        out.flush();
    }

    /** A frame header: the message type and its round. */
    static void writeHeader(DataOutputStream out, int type, long round) throws IOException {
        out.writeByte(type);
        out.writeLong(round);
    }

    /** A STOP message. */
    static void writeStop(DataOutputStream out, long round) throws IOException {
        writeHeader(out, STOP, round);
        out.flush();
    }

    /** {@code bytes} (an object serialized once, sent to several tasks) as a chunked payload. */
    static void writePayload(DataOutputStream out, byte[] bytes) throws IOException {
        for (int off = 0; off < bytes.length; off += CHUNK) {
            int n = Math.min(CHUNK, bytes.length - off);
            out.writeInt(n);
            out.write(bytes, off, n);
        }
        out.writeInt(0);
        out.flush();
    }

    /** {@code o} serialized straight into a chunked payload. */
    static void writePayload(DataOutputStream out, Object o) throws IOException {
        ChunkedOut chunks = new ChunkedOut(out);
        ObjectOutputStream oos = new ObjectOutputStream(chunks);
        oos.writeObject(o);
        oos.flush();                                               // not close: that would close the socket
        chunks.finish();
        out.flush();
    }

    static byte[] serialize(Object o) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(1 << 16);
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    /** The chunked payload after a frame header, deserialized as a {@code type}; reads to its end. */
    static <T> T readPayload(DataInputStream in, Class<T> type) throws IOException {
        ChunkedIn chunks = new ChunkedIn(in);
        Object o;
        try {
            o = new ObjectInputStream(chunks).readObject();
        } catch (ClassNotFoundException e) {
            throw new IOException("gang frame: class not found: " + e.getMessage(), e);
        }
        chunks.skipToEnd();
        if (!type.isInstance(o)) {
            throw new IOException("gang frame: expected a " + type.getSimpleName() + ", found "
                    + (o == null ? "null" : o.getClass().getName()));
        }
        return type.cast(o);
    }

    /** Buffers writes into chunks of {@link #CHUNK} bytes. */
    private static final class ChunkedOut extends OutputStream {
        private final DataOutputStream out;
        private final byte[] buf = new byte[CHUNK];
        private int n;

        ChunkedOut(DataOutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            if (n == buf.length) {
                emit();
            }
            buf[n++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (n == buf.length) {
                    emit();
                }
                int k = Math.min(len, buf.length - n);
                System.arraycopy(b, off, buf, n, k);
                n += k;
                off += k;
                len -= k;
            }
        }

        private void emit() throws IOException {
            if (n > 0) {
                out.writeInt(n);
                out.write(buf, 0, n);
                n = 0;
            }
        }

        void finish() throws IOException {
            emit();
            out.writeInt(0);
        }
    }

    /** Reads a chunked payload; end of stream at its 0-length chunk. */
    private static final class ChunkedIn extends InputStream {
        private final DataInputStream in;
        private int left;
        private boolean ended;

        ChunkedIn(DataInputStream in) {
            this.in = in;
        }

        private boolean more() throws IOException {
            while (left == 0 && !ended) {
                int n = in.readInt();
                if (n < 0 || n > CHUNK) {
                    throw new IOException("gang frame: expected a chunk of 0 to " + CHUNK + " bytes, found " + n);
                }
                left = n;
                ended = n == 0;
            }
            return left > 0;
        }

        @Override
        public int read() throws IOException {
            if (!more()) {
                return -1;
            }
            left--;
            return in.readUnsignedByte();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!more()) {
                return -1;
            }
            int k = in.read(b, off, Math.min(len, left));
            if (k < 0) {
                throw new java.io.EOFException("gang frame: connection closed inside a chunk");
            }
            left -= k;
            return k;
        }

        void skipToEnd() throws IOException {
            while (more()) {
                in.skipNBytes(left);
                left = 0;
            }
        }
    }
}
