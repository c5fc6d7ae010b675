package dev.ponder.core.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class RngTest {
    @Test
    void splitsAreDeterministicAndIndependentOfOrder() {
        Rng root = new Rng(7);
        double[] a1 = root.split("a").normals(5);
        root.split("b").normals(100);
        double[] a2 = new Rng(7).split("a").normals(5);
        assertArrayEquals(a1, a2);
        assertNotEquals(root.split("a").seed(), root.split("b").seed());
        assertNotEquals(root.split(0).seed(), root.split(1).seed());
        assertNotEquals(new Rng(7).split("a").seed(), new Rng(8).split("a").seed());
    }

    @Test
    void normalsHaveUnitVariance() {
        double[] v = new Rng(1).normals(200_001);
        double s = 0;
        double s2 = 0;
        for (double x : v) {
            s += x;
            s2 += x * x;
        }
        assertEquals(0.0, s / v.length, 0.01);
        assertEquals(1.0, s2 / v.length, 0.01);
    }
}
