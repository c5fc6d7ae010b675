package dev.ponder.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.prep.shard.Cursor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GangWireTest {
    static RoundInput input(int params, long step) {
        SplittableRandom r = new SplittableRandom(step);
        float[] p = new float[params];
        float[] s = new float[2 * params];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < s.length; i++) {
            s[i] = (float) r.nextDouble();
        }
        return new RoundInput(step, 4, p, s, List.of(new Cursor(0, 0, 0), new Cursor(1, 2, 3)));
    }

    @Test
    void framesOfSeveralChunksRoundTripAndLeaveTheStreamAtTheNextFrame() throws IOException {
        RoundInput big = input(GangWire.CHUNK / 2 + 17, 3);        // 12 bytes a parameter: several chunks
        RoundInput small = input(5, 4);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        GangWire.writeHeader(out, GangWire.ROUND, 7);
        GangWire.writePayload(out, GangWire.serialize(big));      // serialized once, sent to every task
        GangWire.writeHeader(out, GangWire.ROUND, 8);
        GangWire.writePayload(out, (Object) small);               // streamed
        GangWire.writeStop(out, 8);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));
        assertEquals(GangWire.ROUND, in.read());
        assertEquals(7, in.readLong());
        RoundInput a = GangWire.readPayload(in, RoundInput.class);
        assertArrayEquals(big.params(), a.params(), 0f);
        assertArrayEquals(big.optimizerState(), a.optimizerState(), 0f);
        assertEquals(big.cursors(), a.cursors());
        assertEquals(GangWire.ROUND, in.read());
        assertEquals(8, in.readLong());
        assertArrayEquals(small.params(), GangWire.readPayload(in, RoundInput.class).params(), 0f);
        assertEquals(GangWire.STOP, in.read());
        assertEquals(8, in.readLong());
        assertEquals(-1, in.read());
    }

    @Test
    void aPayloadOfTheWrongTypeOrABadChunkLengthIsAnErrorNamingIt() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        GangWire.writePayload(new DataOutputStream(bytes), (Object) "not a round");
        IOException e = assertThrows(IOException.class, () -> GangWire.readPayload(
                new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), RoundInput.class));
        assertTrue(e.getMessage().contains("expected a RoundInput, found java.lang.String"), e.getMessage());
        byte[] bad = {0x7f, 0, 0, 0};
        e = assertThrows(IOException.class, () -> GangWire.readPayload(
                new DataInputStream(new ByteArrayInputStream(bad)), RoundInput.class));
        assertTrue(e.getMessage().contains("expected a chunk of 0 to " + GangWire.CHUNK + " bytes, found"), e.getMessage());
    }
}
