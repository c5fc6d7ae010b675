package dev.ponder.spark.cli;

/** Thrown by subcommands whose implementation has not landed yet; the CLI exits 1 with the message. */
final class PendingFeature extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PendingFeature(String subcommand, String issue) {
        super("`ponder " + subcommand + "` is not implemented yet (tracked in " + issue + ")");
    }
}
