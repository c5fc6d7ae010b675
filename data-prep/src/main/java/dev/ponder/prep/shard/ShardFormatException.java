package dev.ponder.prep.shard;

/** A shard or manifest that is missing, truncated, foreign or inconsistent; the message names the file. */
public final class ShardFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ShardFormatException(String message) {
        super(message);
    }

    public ShardFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
