package dev.ponder.spark.train;

import java.io.Serializable;

/**
 * Where the tasks of a {@link WorkerGang} reach the driver: its host and port, and a random
 * token the driver checks before it trusts a connection (a round's parameters go to and come
 * from whoever presents it). Captured by the gang's closure; never printed.
 */
record GangAddress(String host, int port, byte[] token) implements Serializable {
    @Override
    public String toString() {
        return "GangAddress[" + host + ":" + port + "]"; // not the token
    }
}
