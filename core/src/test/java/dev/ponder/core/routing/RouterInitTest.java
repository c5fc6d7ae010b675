package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class RouterInitTest {
    @Test
    void renormKeepStdGivesEqualRowNormsAndTheOriginalStd() {
        INDArray w = GradCheck.random(1, 6, 10).muli(0.3);
        double std0 = RouterInit.std(HostArrays.read(w));
        RouterInit.renormKeepStd(w);
        assertEquals(std0, RouterInit.std(HostArrays.read(w)), 1e-12);
        double n0 = w.getRow(0).norm2Number().doubleValue();
        for (int r = 1; r < 6; r++) {
            assertEquals(n0, w.getRow(r).norm2Number().doubleValue(), 1e-12);
        }
    }

    @Test
    void renormRowsScalesUnitRowsByTheirOwnStd() {
        INDArray w = GradCheck.random(2, 4, 9);
        double[] rowStd = new double[4];
        for (int r = 0; r < 4; r++) {
            rowStd[r] = RouterInit.std(HostArrays.read(w.getRow(r)));
        }
        INDArray unit = w.dup();
        for (int r = 0; r < 4; r++) {
            unit.getRow(r).divi(unit.getRow(r).norm2Number());
        }
        double all = RouterInit.std(HostArrays.read(unit));
        RouterInit.renormRows(w);
        for (int r = 0; r < 4; r++) {
            assertEquals(rowStd[r] / all, w.getRow(r).norm2Number().doubleValue(), 1e-12);
        }
    }
}
