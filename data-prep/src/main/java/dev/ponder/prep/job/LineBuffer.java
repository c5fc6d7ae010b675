package dev.ponder.prep.job;

/**
 * A reusable buffer holding one document followed by its newline: the exact bytes that both
 * word counting and encoding see, so the tokenizer is trained on what it later encodes.
 */
final class LineBuffer {
    private byte[] buf = new byte[4096];

    /** Loads {@code doc + '\n'}; returns its length. */
    int load(byte[] doc) {
        if (buf.length < doc.length + 1) {
            buf = new byte[Math.max(doc.length + 1, buf.length * 2)];
        }
        System.arraycopy(doc, 0, buf, 0, doc.length);
        buf[doc.length] = '\n';
        return doc.length + 1;
    }

    byte[] bytes() {
        return buf;
    }
}
