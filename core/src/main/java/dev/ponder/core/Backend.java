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

    /** Makes float32 the default for new arrays (double only where a test asks for it). */
    public static void init() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }
}
