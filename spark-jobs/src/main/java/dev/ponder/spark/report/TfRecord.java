package dev.ponder.spark.report;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * TFRecord framing, the container of TensorBoard event files: little-endian uint64 length, the
 * masked CRC32C of those 8 bytes, the data, the masked CRC32C of the data. The mask (rotate by
 * 15 bits, add a constant) is TensorFlow's, so a CRC of data that itself holds CRCs stays useful.
 */
final class TfRecord {
    private static final int MASK_DELTA = 0xa282ead8;

    private TfRecord() {}

    static byte[] frame(byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(data.length);
        b.putInt(maskedCrc32c(b.array(), 0, 8));
        b.put(data);
        b.putInt(maskedCrc32c(data, 0, data.length));
        return b.array();
    }

    static int maskedCrc32c(byte[] a, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(a, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + MASK_DELTA;
    }
}
