package dev.ponder.spark.report;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TFRecord + protobuf reader written for the tests from the format descriptions alone; it
 * shares no code with the writer (its own bitwise CRC32C, its own wire-format decoder), so a bug
 * in the writer's framing or encoding cannot cancel out. Every CRC is checked; a mismatch throws.
 */
public final class IndependentEventParser {
    /** One decoded Event: wall_time, step, file_version (or null), and its summary values. */
    public record Event(double wallTime, long step, String fileVersion, List<Value> values) {}

    /** One Summary.Value: a simple_value (scalar) or a histogram (other fields NaN / null). */
    public record Value(String tag, Float simpleValue, Histo histo) {}

    public record Histo(double min, double max, double num, double sum, double sumSquares, double[] bucketLimit,
            double[] bucket) {}

    private IndependentEventParser() {}

    /** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one bit at a time. */
    static int crc32c(byte[] a, int off, int len) {
        int crc = 0xFFFFFFFF;
        for (int i = off; i < off + len; i++) {
            crc ^= a[i] & 0xFF;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F63B78 : crc >>> 1;
            }
        }
        return ~crc;
    }

    static int mask(int crc) {
        return Integer.rotateRight(crc, 15) + 0xa282ead8;
    }

    static long le(byte[] a, int off, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (a[off + i] & 0xFF);
        }
        return v;
    }

    /** Splits a file into record payloads, checking the length and data CRCs of each. */
    static List<byte[]> records(byte[] file) {
        List<byte[]> out = new ArrayList<>();
        int pos = 0;
        while (pos < file.length) {
            if (file.length - pos < 12) {
                throw new IllegalStateException("truncated record header at byte " + pos);
            }
            long len = le(file, pos, 8);
            int lenCrc = (int) le(file, pos + 8, 4);
            if (lenCrc != mask(crc32c(file, pos, 8))) {
                throw new IllegalStateException("length CRC mismatch at byte " + pos);
            }
            int data = pos + 12;
            if (len > file.length - data - 4) {
                throw new IllegalStateException("truncated record data at byte " + pos);
            }
            int dataCrc = (int) le(file, data + (int) len, 4);
            if (dataCrc != mask(crc32c(file, data, (int) len))) {
                throw new IllegalStateException("data CRC mismatch at byte " + pos);
            }
            byte[] payload = new byte[(int) len];
            System.arraycopy(file, data, payload, 0, (int) len);
            out.add(payload);
            pos = data + (int) len + 4;
        }
        return out;
    }

    /** Protobuf wire format: field number -> values (Long for varint/fixed, byte[] for length-delimited). */
    static Map<Integer, List<Object>> fields(byte[] m) {
        Map<Integer, List<Object>> out = new LinkedHashMap<>();
        int[] pos = {0};
        while (pos[0] < m.length) {
            long key = varint(m, pos);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            Object v;
            switch (wire) {
                case 0 -> v = varint(m, pos);
                case 1 -> {
                    v = le(m, pos[0], 8);
                    pos[0] += 8;
                }
                case 5 -> {
                    v = le(m, pos[0], 4);
                    pos[0] += 4;
                }
                case 2 -> {
                    int n = (int) varint(m, pos);
                    byte[] b = new byte[n];
                    System.arraycopy(m, pos[0], b, 0, n);
                    pos[0] += n;
                    v = b;
                }
                default -> throw new IllegalStateException("unsupported wire type " + wire + " of field " + field);
            }
            out.computeIfAbsent(field, k -> new ArrayList<>()).add(v);
        }
        return out;
    }

    private static long varint(byte[] m, int[] pos) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            int b = m[pos[0]++] & 0xFF;
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
    }

    public static List<Event> parse(byte[] file) {
        List<Event> events = new ArrayList<>();
        for (byte[] r : records(file)) {
            Map<Integer, List<Object>> e = fields(r);
            double wall = Double.longBitsToDouble((Long) e.get(1).get(0));
            long step = e.containsKey(2) ? (Long) e.get(2).get(0) : 0;
            String version = e.containsKey(3) ? new String((byte[]) e.get(3).get(0), StandardCharsets.UTF_8) : null;
            List<Value> values = new ArrayList<>();
            if (e.containsKey(5)) {
                for (Object v : fields((byte[]) e.get(5).get(0)).getOrDefault(1, List.of())) {
                    values.add(value(fields((byte[]) v)));
                }
            }
            events.add(new Event(wall, step, version, values));
        }
        return events;
    }

    private static Value value(Map<Integer, List<Object>> v) {
        String tag = new String((byte[]) v.get(1).get(0), StandardCharsets.UTF_8);
        Float simple = v.containsKey(2) ? Float.intBitsToFloat((int) (long) (Long) v.get(2).get(0)) : null;
        Histo histo = null;
        if (v.containsKey(5)) {
            Map<Integer, List<Object>> h = fields((byte[]) v.get(5).get(0));
            histo = new Histo(d(h, 1), d(h, 2), d(h, 3), d(h, 4), d(h, 5), packed(h, 6), packed(h, 7));
        }
        return new Value(tag, simple, histo);
    }

    private static double d(Map<Integer, List<Object>> h, int field) {
        return h.containsKey(field) ? Double.longBitsToDouble((Long) h.get(field).get(0)) : 0.0;
    }

    private static double[] packed(Map<Integer, List<Object>> h, int field) {
        if (!h.containsKey(field)) {
            return new double[0];
        }
        byte[] b = (byte[]) h.get(field).get(0);
        double[] out = new double[b.length / 8];
        for (int i = 0; i < out.length; i++) {
            out[i] = Double.longBitsToDouble(le(b, 8 * i, 8));
        }
        return out;
    }
}
