package dev.ponder.spark.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Training rounds on long-lived tasks: one Spark job whose tasks ({@link GangTask}) stay up for
 * many rounds and exchange each round's state with the driver over a TCP connection each, as
 * Horovod and TensorFlow on Spark run theirs. Against a Spark job per round (task launch, two
 * broadcast fetches per task, results through the block manager) this removes a fixed cost of
 * 0.1-0.2 s a round, which small models averaging often pay on every round.
 *
 * <p>The driver keeps the round's input until every task has returned its result; a task that
 * drops out (executor lost, connection lost) fails, Spark reruns it, the rerun connects again
 * and gets the same input: the round's result is the same as without the failure. Results are
 * summed in task order, so a gang's rounds do not depend on which task finished first. The job
 * holds its tasks' slots until {@link #close}: validation and other jobs run between gangs.
 */
public final class WorkerGang implements AutoCloseable {
    private static final int HANDSHAKE_TIMEOUT_MS = 30_000;
    /** How long {@link #close} waits for the tasks to return after STOP before cancelling the job. */
    private static final long STOP_WAIT_SECONDS = 30;
    private static final long ABORT_WAIT_SECONDS = 5;
    /** Spark setting: the driver port gang tasks connect to (0 or unset: any free port). */
    public static final String PORT_KEY = "spark.ponder.gang.port";

    /** The gang's job ended (its tasks failed more than spark.task.maxFailures times) while a round waited. */
    static final class Failed extends IllegalStateException {
        Failed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final GangLayout layout;
    private final ServerSocket server;
    private final byte[] token;
    private final JavaFutureAction<Void> job;
    private final Thread acceptor;
    /** Each task's live connection, or null; guarded by this. */
    private final Link[] links;
    /** Results of the current round by task; guarded by this. */
    private final RoundResult[] results;
    /** The current round's number and serialized input (null between rounds); guarded by this. */
    private long round;
    private byte[] pending;
    private boolean closed;
    private double lastSerializeSeconds;
    /** Rounds whose results all came back. */
    private int completedRounds;
    /** Connections each task made (tests: attempts that reached the driver); guarded by this. */
    private final int[] connections;

    private WorkerGang(GangLayout layout, ServerSocket server, byte[] token, JavaFutureAction<Void> job) {
        this.layout = layout;
        this.server = server;
        this.token = token;
        this.job = job;
        this.links = new Link[layout.tasks()];
        this.results = new RoundResult[layout.tasks()];
        this.connections = new int[layout.tasks()];
        this.acceptor = new Thread(this::acceptLoop, "ponder-gang-acceptor-" + server.getLocalPort());
        acceptor.setDaemon(true);
    }

    /**
     * Listens on the driver's address (spark.driver.bindAddress, advertised as spark.driver.host)
     * and submits the gang's job: one task per entry of {@code layout}.
     */
    static WorkerGang start(JavaSparkContext sc, Broadcast<TrainPlan> plan, GangLayout layout) throws IOException {
        String host = sc.getConf().get("spark.driver.host", InetAddress.getLoopbackAddress().getHostAddress());
        String bind = sc.getConf().get("spark.driver.bindAddress", host);
        ServerSocket server = listen(InetAddress.getByName(bind), sc.getConf().getInt(PORT_KEY, 0),
                sc.getConf().getInt("spark.port.maxRetries", 16));
        try {
            byte[] token = new byte[16];
            new SecureRandom().nextBytes(token);
            GangAddress address = new GangAddress(host, server.getLocalPort(), token);
            int[][] hosted = new int[layout.tasks()][];
            for (int t = 0; t < hosted.length; t++) {
                hosted[t] = layout.partitionsOf(t);
            }
            JavaFutureAction<Void> job = PlacedIndexes.of(sc, layout.locations()).foreachPartitionAsync(it -> {
                int task = it.next();
                GangTask.run(plan.value(), address, task, hosted[task]);
            });
            WorkerGang gang = new WorkerGang(layout, server, token, job);
            gang.acceptor.start();
            return gang;
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /**
     * A listening socket on {@code address}: any free port when {@code port} is 0, else the first
     * free one of port .. port + retries (Spark's rule for its own fixed ports, so drivers sharing
     * a host each get one), reusable at once by the next gang of the run.
     */
    static ServerSocket listen(InetAddress address, int port, int retries) throws IOException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(PORT_KEY + ": expected a port in [0, 65535], found " + port);
        }
        IOException last = null;
        int tries = port == 0 ? 1 : Math.max(1, Math.min(retries + 1, 65536 - port));
        for (int k = 0; k < tries; k++) {
            ServerSocket s = new ServerSocket();
            try {
                s.setReuseAddress(true);
                s.bind(new java.net.InetSocketAddress(address, port == 0 ? 0 : port + k), 64);
                return s;
            } catch (IOException e) {
                s.close();
                last = e;
            }
        }
        throw new IOException(PORT_KEY + "=" + port + ": no free port in [" + port + ", " + (port + tries - 1)
                + "] on " + address.getHostAddress() + " (spark.port.maxRetries=" + retries + "): " + last.getMessage(),
                last);
    }

    GangLayout layout() {
        return layout;
    }

    /** Seconds the driver spent serializing the latest round's input. */
    double lastSerializeSeconds() {
        return lastSerializeSeconds;
    }

    /** Sends {@code in} to every task and returns the sum of their results, in task order. */
    RoundResult round(RoundInput in) throws IOException {
        return round(in, () -> { });
    }

    /** The same, running {@code afterSend} once the input went out (tests: a failure mid-round). */
    RoundResult round(RoundInput in, Runnable afterSend) throws IOException {
        long start = System.nanoTime();
        byte[] bytes = GangWire.serialize(in);
        lastSerializeSeconds = (System.nanoTime() - start) / 1e9;
        Link[] now;
        long r;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("worker gang already closed");
            }
            r = ++round;
            pending = bytes;
            Arrays.fill(results, null);
            now = links.clone();
        }
        for (Link l : now) {
            if (l != null) {
                l.sendRound(r, bytes);
            }
        }
        afterSend.run();
        RoundResult sum = null;
        for (RoundResult x : awaitResults(r)) {
            sum = sum == null ? x : sum.merge(x);
        }
        return sum;
    }

    private synchronized RoundResult[] awaitResults(long r) {
        try {
            while (Arrays.stream(results).anyMatch(b -> b == null)) {
                if (job.isDone()) {
                    throw jobEnded(r);
                }
                wait(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for round " + r + "'s results", e);
        }
        pending = null;
        completedRounds++;
        return results.clone();
    }

    /** Why the job ended while round {@code r} waited for results. */
    private RuntimeException jobEnded(long r) {
        try {
            job.get();
            return new Failed("the training tasks ended before round " + r + " of their gang finished "
                    + "(a task attempt ended without the driver's STOP; with spark.speculation on, set "
                    + "train.persistent_tasks=false)", null);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return new Failed("training tasks failed in round " + r + " of their gang: " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new IllegalStateException("interrupted", e);
        }
    }

    /** Rounds this gang completed. */
    synchronized int completedRounds() {
        return completedRounds;
    }

    /** Tests: how many connections task {@code task}'s attempts made. */
    synchronized int connections(int task) {
        return connections[task];
    }

    private void acceptLoop() {
        while (true) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return;                                            // closed
            }
            try {
                s.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
                s.setTcpNoDelay(true);
                DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 16));
                int magic = in.readInt();
                int n = in.readInt();
                if (magic != GangWire.MAGIC || n != token.length) {
                    throw new IOException("not a gang task");
                }
                byte[] presented = new byte[n];
                in.readFully(presented);
                int task = in.readInt();
                if (!MessageDigest.isEqual(token, presented) || task < 0 || task >= links.length) {
                    throw new IOException("not a task of this gang");
                }
                s.setSoTimeout(0);
                register(new Link(task, s, in));
            } catch (IOException e) {
                closeQuietly(s);
            }
        }
    }

    /** A (re)connected task: replaces its previous link and gets the pending round if it has no result yet. */
    private void register(Link link) {
        Link old;
        byte[] toSend;
        long r;
        synchronized (this) {
            if (closed) {
                link.close();
                return;
            }
            old = links[link.task];
            links[link.task] = link;
            connections[link.task]++;
            toSend = pending != null && results[link.task] == null ? pending : null;
            r = round;
        }
        if (old != null) {
            old.close();
        }
        Thread reader = new Thread(link::readLoop, "ponder-gang-task-" + link.task);
        reader.setDaemon(true);
        reader.start();
        if (toSend != null) {
            link.sendRound(r, toSend);
        }
    }

    private synchronized void accept(Link link, long r, RoundResult result) {
        if (links[link.task] == link && r == round && pending != null && results[link.task] == null) {
            results[link.task] = result;
            notifyAll();
        }
    }

    private void drop(Link link) {
        synchronized (this) {
            if (links[link.task] == link) {
                links[link.task] = null;
            }
            notifyAll();
        }
        link.close();
    }

    /** Tests: cuts task {@code task}'s connection, as a network failure would. */
    void cut(int task) {
        Link l;
        synchronized (this) {
            l = links[task];
        }
        if (l != null) {
            l.close();
        }
    }

    /** Stops the tasks (they return), waits for the job, and closes the socket. */
    @Override
    public void close() {
        Link[] now;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            now = links.clone();
        }
        for (Link l : now) {
            if (l != null) {
                l.stop();
            }
        }
        try {
            job.get(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            job.cancel(true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            job.cancel(true);
        } finally {
            release();
        }
    }

    /**
     * Cancels the job (the run failed or was interrupted) and closes the socket once its tasks have
     * seen the kill and closed their connections (they check every half second; at most a few
     * seconds), so they end as killed tasks rather than as failures of a lost connection.
     */
    void abort() {
        synchronized (this) {
            closed = true;
        }
        job.cancel(true);
        long deadline = System.nanoTime() + ABORT_WAIT_SECONDS * 1_000_000_000L;
        try {
            synchronized (this) {
                while (Arrays.stream(links).anyMatch(l -> l != null) && System.nanoTime() < deadline) {
                    wait(50);                                      // a killed task closes its link
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            release();
        }
    }

    private void release() {
        closeQuietly(server);
        Link[] now;
        synchronized (this) {
            now = links.clone();
            Arrays.fill(links, null);
        }
        for (Link l : now) {
            if (l != null) {
                l.close();
            }
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // already closed or broken: nothing left to release
        }
    }

    /** One task's connection. */
    private final class Link {
        final int task;
        final Socket socket;
        final DataInputStream in;
        final DataOutputStream out;
        /** The last round sent on this link (a task gets each round once); guarded by this link. */
        private long sent;

        Link(int task, Socket socket, DataInputStream in) throws IOException {
            this.task = task;
            this.socket = socket;
            this.in = in;
            this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
        }

        /** Sends round {@code r} unless this link already has it (the round loop and a reconnect may both try). */
        synchronized void sendRound(long r, byte[] input) {
            if (sent >= r) {
                return;
            }
            sent = r;
            try {
                GangWire.writeHeader(out, GangWire.ROUND, r);
                GangWire.writePayload(out, input);
            } catch (IOException e) {
                drop(this);                                        // the task fails; its rerun reconnects
            }
        }

        synchronized void stop() {
            try {
                GangWire.writeStop(out, sent);
            } catch (IOException e) {
                drop(this);
            }
        }

        void readLoop() {
            try {
                while (true) {
                    int type = in.read();
                    if (type < 0) {
                        throw new EOFException("task closed its connection");
                    }
                    long r = in.readLong();
                    if (type != GangWire.RESULT) {
                        throw new IOException("expected a RESULT message, found type " + type);
                    }
                    accept(this, r, GangWire.readPayload(in, RoundResult.class)); // deserialized on this thread

                }
            } catch (IOException e) {
                drop(this);
            }
        }

        void close() {
            closeQuietly(socket);
        }
    }
}
