package dev.ponder.spark.train;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

/**
 * The messages between a {@link WorkerGang} (driver) and its {@link GangTask}s, over one TCP
 * connection per task. Task to driver: HELLO (magic, token, task index, attempt), then one RESULT
 * per round; driver to task: ROUND (a RoundInput) or STOP. A ROUND or RESULT carries its round
 * number, so a result computed for a round the driver has moved past is dropped, and a payload
 * (Java serialization of RoundInput or RoundResult, whose float arrays go in bulk) as a
 * length-prefixed byte array.
 */
final class GangWire {
    static final int MAGIC = 0x506f6e64; // "Pond"
    static final int ROUND = 1;
    static final int STOP = 2;
    static final int RESULT = 3;
    /** A frame's payload bound: Java arrays stop at 2^31 - 1 bytes. */
    private static final int MAX_PAYLOAD = Integer.MAX_VALUE - 8;

    private GangWire() {}

    static void writeHello(DataOutputStream out, byte[] token, int index, int attempt) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(token.length);
        out.write(token);
        out.writeInt(index);
        out.writeInt(attempt);
        out.flush();
    }

    /** A message of {@code type} for {@code round} with its payload (null for STOP). */
    static void writeFrame(DataOutputStream out, int type, long round, byte[] payload) throws IOException {
        out.writeByte(type);
        out.writeLong(round);
        out.writeInt(payload == null ? 0 : payload.length);
        if (payload != null) {
            out.write(payload);
        }
        out.flush();
    }

    /** The payload after a frame's type byte and round number. */
    static byte[] readPayload(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_PAYLOAD) {
            throw new IOException("gang frame: expected a payload length in [0, " + MAX_PAYLOAD + "], found " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    static byte[] serialize(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    static <T> T deserialize(byte[] payload, Class<T> type) throws IOException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(payload))) {
            Object o = in.readObject();
            if (!type.isInstance(o)) {
                throw new IOException("gang frame: expected a " + type.getSimpleName() + ", found "
                        + (o == null ? "null" : o.getClass().getName()));
            }
            return type.cast(o);
        } catch (ClassNotFoundException e) {
            throw new IOException("gang frame: class not found: " + e.getMessage(), e);
        }
    }
}
