package dev.ponder.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MoeutFlopCountTest {
    /** MoEUT-44M of the paper: d 412, 16 layers in groups of 2, 4 heads of 82, att E 8 k 2, FFN E 155 m 128 k 12. */
    static ModelConfig moeut44m() {
        return ModelConfig.builder().family("moeut").vocabSize(8000).dModel(412).nLayers(16).nHeads(4).dHead(82)
                .moeut(new MoeutSettings(2, 155, 128, 12, 8, 2, 0.01, 0.001, 0, 0, 0)).build();
    }

    @Test
    void moeut44mIs46point2GmacPer1024TokenForward() {
        double gmac = FlopCount.moeutMacsPerToken(moeut44m(), 1024) * 1024 / 1e9;
        assertEquals(46.2, Math.round(gmac * 10) / 10.0, 0);
        // the same number term by term (moeut_training_code's get_attention_flops + get_ff_flops, x 16)
        long att = 4L * 82 * 1024 * 1024 * 2 + 6L * 412 * 4 * 82 * 1024 + 2L * 4 * 2 * 1024 * 82 + 2L * 8 * 412 * 1024;
        long ff = 2L * 1024 * 412 * 128 * 12 + 1024L * 412 * 155;
        assertEquals(16 * (att + ff), FlopCount.moeutMacsPerToken(moeut44m(), 1024) * 1024);
    }

    @Test
    void moeutTinyAndMoeCounts() {
        ModelConfig tiny = ModelConfig.builder().family("moeut").vocabSize(8192).dModel(256).nLayers(8).nHeads(4)
                .dHead(64).moeut(new MoeutSettings(2, 64, 64, 8, 4, 2, 0.01, 0.001, 0, 0, 0)).build();
        // attention 2*256*256 + 6*256*256 + 2*4*2*64 + 2*4*256, ffn 2*256*64*8 + 256*64
        assertEquals(8L * (131_072 + 393_216 + 1_024 + 2_048 + 262_144 + 16_384), FlopCount.moeutMacsPerToken(tiny, 256));
        LanguageModel m = ModelFactory.create(tiny.toBuilder().vocabSize(16).nLayers(2).build(), 1);
        assertEquals(2L * 805_888, m.analyticMacsPerToken(256));
        ModelConfig moe = ModelConfig.builder().family("moe").vocabSize(8192).dModel(256).nLayers(8).nHeads(4)
                .dHead(64).moe(MoeSettings.defaults(8, 512)).build();
        assertEquals(8L * (4 * 65_536 + 2 * 256 * 256 + 2 * 256 * 512 * 2 + 256 * 8), FlopCount.moeMacsPerToken(moe, 256));
    }
}
