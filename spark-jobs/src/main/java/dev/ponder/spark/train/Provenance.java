package dev.ponder.spark.train;

import dev.ponder.core.Backend;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Versions and environment recorded with every checkpoint (Tribuo-style provenance). */
final class Provenance {
    private Provenance() {}

    static Map<String, Object> describe(String sparkVersion, String master) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ponder_version", versionOf(Provenance.class, "dev"));
        m.put("java", System.getProperty("java.version"));
        m.put("spark", sparkVersion);
        m.put("master", master);
        m.put("backend", Backend.describe());
        m.put("written_at", Instant.now().toString());
        return m;
    }

    private static String versionOf(Class<?> c, String fallback) {
        String v = c.getPackage() == null ? null : c.getPackage().getImplementationVersion();
        return v == null ? fallback : v;
    }
}
