package dev.ponder.core.model;

import dev.ponder.core.metrics.RoutingStats;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What every family's model holds the same way: its configuration (checked to name the family),
 * the flat parameter store built once all parameters are registered, the expert load routed since
 * the last drain, and the LM head's cost.
 */
abstract class AbstractLm implements LanguageModel {
    final ModelConfig config;
    private ParamStore store;
    /** Expert load since the last {@link #drainRoutingStats()}; families without routing leave it empty. */
    RoutingStats routing = RoutingStats.EMPTY;

    AbstractLm(ModelConfig config, String family) {
        if (!config.family().equals(family)) {
            throw new IllegalArgumentException("model.family: expected " + family + ", found " + config.family());
        }
        this.config = config;
    }

    /**
     * Builds the store from {@code reg} once every parameter is registered: the registration order
     * is the flat buffer's layout. Called once, at the end of the subclass's constructor.
     */
    final ParamStore build(ParamRegistry reg, DataType dtype, long seed) {
        if (store != null) {
            throw new IllegalStateException("parameters: the store is already built");
        }
        store = reg.build(dtype, seed);
        return store;
    }

    @Override
    public final ModelConfig config() {
        return config;
    }

    @Override
    public final ParamStore params() {
        return store;
    }

    @Override
    public final RoutingStats drainRoutingStats() {
        RoutingStats out = routing;
        routing = RoutingStats.EMPTY;
        return out;
    }

    /** The compute scalars of the routed families: executed and analytic forward MACs per token. */
    final void putMacScalars(Map<String, Double> m, double executedPerToken, int seqLen) {
        m.put("executed_macs_per_token", executedPerToken);
        m.put("analytic_macs_per_token", (double) analyticMacsPerToken(seqLen));
    }

    @Override
    public final long headMacsPerToken() {
        return FlopCount.headMacsPerToken(config);
    }
}
