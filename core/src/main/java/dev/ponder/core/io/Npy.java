package dev.ponder.core.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads NumPy .npy files of integer tokens (int32/int64/uint16, little-endian, C order). */
public final class Npy {
    /** A 2-D integer array [rows, cols], row-major. */
    public record IntMatrix(int rows, int cols, int[] data) {}

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    public static IntMatrix readInts2d(byte[] file, String where) {
        if (file.length < 10 || file[0] != (byte) 0x93 || !new String(file, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new IllegalArgumentException(where + ": not a .npy file (missing \\x93NUMPY magic)");
        }
        int major = file[6];
        ByteBuffer bb = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen;
        int start;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(bb.getShort(8));
            start = 10;
        } else {
            headerLen = bb.getInt(8);
            start = 12;
        }
        String header = new String(file, start, headerLen, StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, where, "descr");
        if (group(FORTRAN, header, where, "fortran_order").equals("True")) {
            throw new IllegalArgumentException(where + ": expected C order, found fortran_order True");
        }
        String[] dims = group(SHAPE, header, where, "shape").replace(" ", "").split(",");
        if (dims.length < 2 || dims[0].isEmpty() || dims[1].isEmpty() || (dims.length > 2 && !dims[2].isEmpty())) {
            throw new IllegalArgumentException(where + ": expected a 2-D array [B, T+1], found shape (" + String.join(",", dims) + ")");
        }
        int rows = Integer.parseInt(dims[0]);
        int cols = Integer.parseInt(dims[1]);
        int n = Math.multiplyExact(rows, cols);
        int[] data = new int[n];
        int off = start + headerLen;
        switch (descr) {
            case "<i4" -> bb.position(off).slice().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(data);
            case "<i8" -> {
                var lb = bb.position(off).slice().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
                for (int i = 0; i < n; i++) {
                    data[i] = Math.toIntExact(lb.get(i));
                }
            }
            case "<u2" -> {
                var sb = bb.position(off).slice().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
                for (int i = 0; i < n; i++) {
                    data[i] = Short.toUnsignedInt(sb.get(i));
                }
            }
            default -> throw new IllegalArgumentException(where + ": expected integer tokens (<i4, <i8 or <u2), found dtype "
                    + descr);
        }
        return new IntMatrix(rows, cols, data);
    }

    private static String group(Pattern p, String header, String where, String key) {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IllegalArgumentException(where + ": .npy header has no '" + key + "': " + header.trim());
        }
        return m.group(1);
    }

    /** Writes int32 [rows, cols] (tests and tools). */
    public static byte[] writeInts2d(int rows, int cols, int[] data) {
        String dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        StringBuilder h = new StringBuilder(dict);
        h.append(" ".repeat(pad)).append('\n');
        byte[] hb = h.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer bb = ByteBuffer.allocate(10 + hb.length + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        bb.putShort((short) hb.length).put(hb);
        bb.asIntBuffer().put(data);
        return bb.array();
    }
}
