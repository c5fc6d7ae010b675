package dev.ponder.core.params;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class ParamStoreTest {
    private static ParamRegistry registry() {
        ParamRegistry reg = new ParamRegistry();
        reg.add("a.weight", Init.normal(1), 2, 3);
        reg.add("a.bias", Init.zeros(), 3);
        reg.addStack("b.qkv", List.of("b.q.weight", "b.k.weight"), Init.normal(0.5), true, 2, 2);
        reg.add("ln.weight", Init.ones(), 4);
        return reg;
    }

    @Test
    void layoutIsContiguousInRegistrationOrder() {
        ParamStore s = registry().build(DataType.FLOAT, 1);
        List<ParamSpec> specs = s.specs();
        assertEquals(List.of("a.weight", "a.bias", "b.q.weight", "b.k.weight", "ln.weight"),
                specs.stream().map(ParamSpec::name).toList());
        assertEquals(List.of(0L, 6L, 9L, 13L, 17L), specs.stream().map(ParamSpec::offset).toList());
        assertEquals(21, s.size());
        assertArrayEquals(new long[] {2, 3}, specs.get(0).shape());
        assertEquals(DataType.FLOAT, s.params().dataType());
        assertArrayEquals(new long[] {21}, s.grads().shape());
    }

    @Test
    void namedTensorsAreViewsOfTheFlatBuffers() {
        ParamStore s = registry().build(DataType.DOUBLE, 1);
        s.value("a.bias").assign(7);
        assertEquals(7.0, s.params().getDouble(6), 0);
        assertEquals(7.0, s.params().getDouble(8), 0);
        assertEquals(1.0, s.params().getDouble(17), 0); // ln.weight init ones
        s.grad("b.k.weight").assign(3);
        assertEquals(12.0, s.grads().sumNumber().doubleValue(), 0);
        assertEquals(3.0, s.grads().getDouble(13), 0);
        s.zeroGrads();
        assertEquals(0.0, s.grads().sumNumber().doubleValue(), 0);
        s.params().putScalar(0, -5);
        assertEquals(-5.0, s.value("a.weight").getDouble(0, 0), 0);
    }

    @Test
    void stackedHandleSpansItsParts() {
        ParamRegistry reg = new ParamRegistry();
        Param stack = reg.addStack("qkv", List.of("q", "k", "v"), Init.normal(1), true, 2, 3);
        ParamStore s = reg.build(DataType.DOUBLE, 9);
        assertArrayEquals(new long[] {6, 3}, stack.shape());
        assertEquals(s.value("k"), stack.value().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 4),
                org.nd4j.linalg.indexing.NDArrayIndex.all()));
        stack.grad().assign(1);
        assertEquals(18.0, s.grads().sumNumber().doubleValue(), 0);
    }

    @Test
    void initDependsOnSeedAndNameOnlyNotOrder() {
        ParamRegistry r1 = new ParamRegistry();
        r1.add("x", Init.normal(1), 3, 4);
        r1.add("y", Init.normal(1), 5);
        ParamStore s1 = r1.build(DataType.DOUBLE, 123);
        ParamRegistry r2 = new ParamRegistry();
        r2.add("y", Init.normal(1), 5);
        r2.add("x", Init.normal(1), 3, 4);
        ParamStore s2 = r2.build(DataType.DOUBLE, 123);
        assertEquals(s1.value("x"), s2.value("x"));
        assertEquals(s1.value("y"), s2.value("y"));
        assertFalse(s1.value("x").equals(registryWithX(124).value("x")));
        // float and double stores start from the same values (rounded)
        ParamRegistry r3 = new ParamRegistry();
        r3.add("x", Init.normal(1), 3, 4);
        assertTrue(r3.build(DataType.FLOAT, 123).value("x").castTo(DataType.DOUBLE).equalsWithEps(s1.value("x"), 1e-6));
    }

    private static ParamStore registryWithX(long seed) {
        ParamRegistry r = new ParamRegistry();
        r.add("x", Init.normal(1), 3, 4);
        return r.build(DataType.DOUBLE, seed);
    }

    @Test
    void normalInitHasTheRequestedStd() {
        ParamRegistry r = new ParamRegistry();
        r.add("w", Init.normal(0.02), 200, 100);
        ParamStore s = r.build(DataType.FLOAT, 5);
        assertEquals(0.0, s.params().meanNumber().doubleValue(), 0.001);
        assertEquals(0.02, s.params().stdNumber().doubleValue(), 0.0005);
    }

    @Test
    void decayDefaultsToMatricesAndMergesRuns() {
        ParamStore s = registry().build(DataType.FLOAT, 1);
        List<ParamLayout.Range> runs = s.layout().decayRuns();
        assertEquals(List.of(new ParamLayout.Range(0, 6), new ParamLayout.Range(9, 8)), runs);
        assertEquals(14, s.layout().decayedSize());
        assertFalse(s.layout().spec("a.bias").decay());
    }

    @Test
    void bulkCopiesRoundTrip() {
        ParamStore s = registry().build(DataType.FLOAT, 1);
        float[] p = s.paramsToArray();
        assertEquals(s.params().getFloat(20), p[20], 0f);
        float[] q = new float[p.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = i * 0.5f;
        }
        s.copyParamsFrom(q);
        assertEquals(10f, s.value("ln.weight").getFloat(3), 0f);
        s.copyGradsFrom(q);
        float[] g = new float[q.length];
        s.copyGradsTo(g);
        assertArrayEquals(q, g);
        ParamStore d = registry().build(DataType.DOUBLE, 1);
        d.copyParamsFrom(q);
        assertEquals(2.5, d.params().getDouble(5), 0);
    }

    @Test
    void errorsNameTheProblem() {
        ParamRegistry reg = new ParamRegistry();
        reg.add("w", Init.zeros(), 2);
        assertEquals("duplicate parameter name 'w'",
                assertThrows(IllegalArgumentException.class, () -> reg.add("w", Init.zeros(), 2)).getMessage());
        ParamStore s = reg.build(DataType.FLOAT, 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> s.value("nope")).getMessage()
                .startsWith("unknown parameter 'nope'"));
        assertThrows(IllegalStateException.class, () -> reg.add("z", Init.zeros(), 2));
        Param unbound = new ParamRegistry().add("u", Init.zeros(), 1);
        assertThrows(IllegalStateException.class, unbound::value);
    }
}
