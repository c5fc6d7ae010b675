package dev.ponder.spark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class PonderCliTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = PonderCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void everySubcommandAnswersHelp() {
        for (String sub : new String[] {"prep", "init", "train", "eval", "export", "score", "bench", "sweep", "report"}) {
            Result r = run(sub, "--help");
            assertEquals(0, r.code(), sub + ": " + r.err());
            assertTrue(r.out().contains("Usage: ponder " + sub), sub + ": " + r.out());
        }
        assertEquals(0, run("bench", "train", "--help").code());
        assertEquals(0, run("--help").code());
    }

    @Test
    void badArgumentsExitTwoWithOneLine() {
        Result r = run("prep", "--out", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--input"), r.err());
        assertEquals(1, r.err().strip().split("\n").length, r.err());
        assertEquals(2, run("frobnicate").code());
        assertEquals(2, run().code());
        r = run("prep", "--input", "x", "--out", "y", "--vocab", "many");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("many"), r.err());
    }

    @Test
    void invalidOptionValuesExitTwoBeforeSparkStarts() {
        Result r = run("prep", "--input", "x", "--out", "y", "--tokenizer", "wordpiece");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("wordpiece"), r.err());
    }
}
