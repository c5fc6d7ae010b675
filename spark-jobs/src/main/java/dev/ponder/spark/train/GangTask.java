package dev.ponder.spark.train;

import dev.ponder.core.train.LocalTrainer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskKilledException;

/**
 * Executor side of a {@link WorkerGang}: one long-lived Spark task that connects to the driver
 * and, round after round, receives the averaged state, trains each worker partition it hosts
 * (in turn, as {@link PartitionTrainer} would in a round's own task) and sends back their summed
 * result, until the driver says STOP. Keeps between rounds only the connection and its workers'
 * replicas, which each round reloads with the round's state, so a rerun attempt (executor lost,
 * connection lost) just reconnects and takes the pending round.
 * Ends with an exception on anything but STOP, so Spark reruns it.
 */
final class GangTask {
    /** How often a task waiting for the driver checks whether Spark killed it (ms). */
    private static final int POLL_MS = 500;
    private static final int CONNECT_TIMEOUT_MS = 30_000;

    private GangTask() {}

    static void run(TrainPlan plan, GangAddress driver, int index, int[] partitions) throws IOException {
        TaskContext ctx = TaskContext.get();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(driver.host(), driver.port()), CONNECT_TIMEOUT_MS);
            s.setTcpNoDelay(true);
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1 << 16));
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 16));
            GangWire.writeHello(out, driver.token(), index);
            // Each hosted worker's replica, built in the first round and reloaded in the next ones
            // (building one costs as much as several local steps of a small model).
            LocalTrainer[] replicas = new LocalTrainer[partitions.length];
            while (true) {
                int type = awaitMessage(s, in, ctx, index);
                long round = in.readLong();
                if (type == GangWire.STOP) {
                    return;
                }
                if (type != GangWire.ROUND) {
                    throw new IOException("gang task " + index + ": expected a ROUND or STOP message, found type " + type);
                }
                long start = System.nanoTime();
                RoundInput input = GangWire.readPayload(in, RoundInput.class);
                long fetched = System.nanoTime();
                RoundResult result = null;
                for (int i = 0; i < partitions.length; i++) {
                    long replicaStart = System.nanoTime();
                    replicas[i] = replicas[i] == null
                            ? plan.loadedTrainer(input.params(), input.optimizerState(), input.step())
                            : plan.reloaded(replicas[i], input.params(), input.optimizerState(), input.step());
                    RoundResult r = PartitionTrainer.trainLoaded(plan, input, partitions[i], replicas[i],
                            (System.nanoTime() - replicaStart) / 1e9);
                    result = result == null ? r : result.merge(r);
                    if (result.failure != null) {
                        break;                                    // the driver stops the run on it
                    }
                }
                result.stampTask(start, fetched);
                GangWire.writeHeader(out, GangWire.RESULT, round);
                GangWire.writePayload(out, result);               // streamed: no byte[] copy of the state
            }
        }
    }

    /**
     * The next message's type byte. Waits in short reads so that a task Spark kills (job
     * cancelled, stage aborted) stops instead of blocking in a socket read, which interrupts do
     * not end.
     */
    private static int awaitMessage(Socket s, DataInputStream in, TaskContext ctx, int index) throws IOException {
        s.setSoTimeout(POLL_MS);
        try {
            while (true) {
                try {
                    int type = in.read();
                    if (type < 0) {
                        checkKilled(ctx, index);                  // the driver closes links after a cancel
                        throw new EOFException("gang task " + index + ": the driver closed the connection before STOP");
                    }
                    return type;
                } catch (SocketTimeoutException e) {
                    checkKilled(ctx, index);
                }
            }
        } finally {
            s.setSoTimeout(0);
        }
    }

    private static void checkKilled(TaskContext ctx, int index) {
        if ((ctx != null && ctx.isInterrupted()) || Thread.currentThread().isInterrupted()) {
            throw new TaskKilledException("gang task " + index + " killed while waiting for a round");
        }
    }
}
