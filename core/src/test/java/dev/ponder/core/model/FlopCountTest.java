package dev.ponder.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FlopCountTest {
    @Test
    void dense44mControlIs52point5GmacPer1024TokenForward() {
        ModelConfig c = ModelConfig.builder().vocabSize(8000).dModel(412).nLayers(16).nHeads(10).dHead(41)
                .dFf(2053).build();
        double gmac = FlopCount.denseMacsPerToken(c, 1024) * 1024 / 1e9;
        assertEquals(52.5, Math.round(gmac * 10) / 10.0, 0);
    }

    @Test
    void denseTinyCounts() {
        ModelConfig c = ModelConfig.builder().vocabSize(8192).dModel(256).nLayers(8).nHeads(4).dHead(64)
                .dFf(1024).build();
        // per layer: projections 4*256*256 + attention 2*256*256 + ffn 2*256*1024
        assertEquals(917_504, FlopCount.denseLayerMacsPerToken(c, 256));
        assertEquals(8 * 917_504, FlopCount.denseMacsPerToken(c, 256));
        assertEquals(256 * 8192, FlopCount.headMacsPerToken(c));
        LanguageModel m = ModelFactory.create(c.toBuilder().nLayers(1).vocabSize(16).build(), 1);
        assertEquals(6.0 * (917_504 + 256 * 16), m.trainingFlopsPerToken(256), 0);
    }
}
