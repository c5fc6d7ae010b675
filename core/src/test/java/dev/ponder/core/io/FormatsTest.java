package dev.ponder.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FormatsTest {
    @Test
    void safetensorsRoundTripKeepsNamesOrderShapesAndValues() {
        Map<String, Safetensors.Tensor> t = new LinkedHashMap<>();
        t.put("b.weight", new Safetensors.Tensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, -6.5f}));
        t.put("a", new Safetensors.Tensor(new long[] {}, new float[] {7}));
        byte[] file = Safetensors.write(t, Map.of("format", "pt"));
        long headerLen = java.nio.ByteBuffer.wrap(file, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8, "data is 8-byte aligned");
        Map<String, Safetensors.Tensor> back = Safetensors.read(file, "mem");
        assertEquals(List.of("b.weight", "a"), List.copyOf(back.keySet()));
        assertArrayEquals(new long[] {2, 3}, back.get("b.weight").shape());
        assertArrayEquals(t.get("b.weight").data(), back.get("b.weight").data());
        assertEquals(7f, back.get("a").data()[0]);
    }

    @Test
    void truncatedSafetensorsIsAnErrorNamingTheFile() {
        byte[] file = Safetensors.write(Map.of("x", new Safetensors.Tensor(new long[] {4}, new float[4])), Map.of());
        byte[] cut = java.util.Arrays.copyOf(file, file.length - 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Safetensors.read(cut, "w.st"));
        assertTrue(e.getMessage().contains("w.st"), e.getMessage());
    }

    @Test
    void npyRoundTripAndErrors() {
        int[] data = {1, 2, 3, 4, 5, 6};
        Npy.IntMatrix m = Npy.readInts2d(Npy.writeInts2d(2, 3, data), "t.npy");
        assertEquals(2, m.rows());
        assertEquals(3, m.cols());
        assertArrayEquals(data, m.data());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Npy.readInts2d("not numpy at all".getBytes(), "x.npy"));
        assertTrue(e.getMessage().contains("x.npy"), e.getMessage());
    }
}
