package dev.ponder.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping each
 * tensor name to {dtype, shape, data_offsets} (plus optional __metadata__ of strings), then the
 * raw little-endian data. Only F32 tensors are written; F32, F64, I32 and I64 are read (as float).
 */
public final class Safetensors {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A float32 tensor: shape and row-major values. */
    public record Tensor(long[] shape, float[] data) {
        public Tensor {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("tensor shape " + Arrays.toString(shape) + " holds " + n
                        + " values, found " + data.length);
            }
        }
    }

    private Safetensors() {}

    /** Serialises tensors in the given order. */
    public static byte[] write(Map<String, Tensor> tensors, Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            long bytes = 4L * e.getValue().data().length;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // 8-byte aligned data, spaces as the format allows
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8, 8 + padded + offset));
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        out.writeBytes(len.array());
        out.writeBytes(json);
        for (int i = json.length; i < padded; i++) {
            out.write(' ');
        }
        for (Tensor t : tensors.values()) {
            ByteBuffer bb = ByteBuffer.allocate(4 * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().put(t.data());
            out.writeBytes(bb.array());
        }
        return out.toByteArray();
    }

    /** Parses a file's bytes; {@code where} names it in errors. */
    public static Map<String, Tensor> read(byte[] file, String where) {
        if (file.length < 8) {
            throw new IllegalArgumentException(where + ": not a safetensors file (" + file.length + " bytes)");
        }
        long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 2 || 8 + n > file.length) {
            throw new IllegalArgumentException(where + ": header length " + n + " does not fit in " + file.length + " bytes");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(file, 8, (int) n, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(where + ": header is not JSON: " + e.getMessage(), e);
        }
        long base = 8 + n;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            JsonNode t = e.getValue();
            long[] shape = new long[t.path("shape").size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.path("shape").get(i).asLong();
                count *= shape[i];
            }
            long begin = base + t.path("data_offsets").get(0).asLong();
            long end = base + t.path("data_offsets").get(1).asLong();
            String dtype = t.path("dtype").asText();
            int width = switch (dtype) {
                case "F32", "I32" -> 4;
                case "F64", "I64" -> 8;
                default -> throw new IllegalArgumentException(where + ": tensor " + e.getKey() + " has dtype " + dtype
                        + "; expected F32, F64, I32 or I64");
            };
            if (end > file.length || end - begin != count * width) {
                throw new IllegalArgumentException(where + ": tensor " + e.getKey() + " data_offsets do not match shape "
                        + Arrays.toString(shape) + " x " + dtype);
            }
            ByteBuffer bb = ByteBuffer.wrap(file, (int) begin, (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
            float[] data = new float[(int) count];
            for (int i = 0; i < data.length; i++) {
                data[i] = switch (dtype) {
                    case "F32" -> bb.getFloat();
                    case "F64" -> (float) bb.getDouble();
                    case "I32" -> bb.getInt();
                    default -> bb.getLong();
                };
            }
            out.put(e.getKey(), new Tensor(shape, data));
        }
        return out;
    }
}
