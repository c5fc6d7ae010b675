package dev.ponder.core;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The tensor backend, chosen once per JVM by ND4J's classpath and described for logs and provenance. */
public final class Backend {
    private Backend() {}

    /** A one-line description: backend class, data type, OMP threads. */
    public static String describe() {
        String omp = System.getenv("OMP_NUM_THREADS");
        return Nd4j.getBackend().getClass().getSimpleName()
                + " dtype=" + Nd4j.dataType()
                + " omp_threads=" + (omp == null ? "unset" : omp);
    }

    /** JavaCPP's resident-memory limit, read once when its Pointer class loads: 0 turns the check off. */
    public static final String JAVACPP_RSS_LIMIT = "org.bytedeco.javacpp.maxPhysicalBytes";

    /** The JVM option form of {@link #skipResidentMemoryCheck()}, for JVMs started by someone else (executors). */
    public static final String NO_RSS_CHECK_OPTION = "-D" + JAVACPP_RSS_LIMIT + "=0";

    /**
     * Turns off JavaCPP's per-allocation resident-memory check unless the user set its limit. With a
     * limit (by default twice the heap) every native pointer ND4J creates (each array's data and
     * shape buffers, also inside workspaces) reads the process's resident size from the OS first:
     * 10 of the 21 us an array [2048, 64] cost in a workspace here, and a SHARCS width-0.25 step
     * creates thousands. JavaCPP's own off-heap accounting (maxBytes, which triggers collections)
     * stays on. Must run before ND4J's first use in this JVM (the CLI's main does it first thing);
     * executors get {@link #NO_RSS_CHECK_OPTION} on their command line.
     */
    public static void skipResidentMemoryCheck() {
        if (System.getProperty(JAVACPP_RSS_LIMIT) == null) {
            System.setProperty(JAVACPP_RSS_LIMIT, "0");
        }
    }

    /** Makes float32 the default for new arrays (double only where a test asks for it). */
    public static void init() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }
}
