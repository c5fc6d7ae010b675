package dev.ponder.spark.train;

import java.util.Optional;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Binds ND4J in the current task's thread to the GPU Spark assigned to the task (resource
 * scheduling: spark.executor.resource.gpu.amount, spark.task.resource.gpu.amount and a
 * discovery script such as submit/gpu-discovery.sh). Without it every task of an executor would
 * use device 0. Does nothing on the CPU backend, outside a task, or when no GPU was assigned, so
 * CPU runs are unaffected.
 */
public final class TaskDevice {
    public static final String GPU = "gpu";

    private TaskDevice() {}

    /** What {@link #bind()} did: the device bound, or why none was. */
    public record Binding(Optional<Integer> device, String description) {}

    /** Binds this thread to the task's first assigned GPU when the CUDA backend runs. */
    public static Binding bind() {
        TaskContext task = TaskContext.get();
        ResourceInformation gpus = task == null ? null : task.resourcesJMap().get(GPU);
        if (gpus == null || gpus.addresses().length == 0) {
            return new Binding(Optional.empty(), "no GPU assigned to this task");
        }
        if (Nd4j.getEnvironment().isCPU()) {
            return new Binding(Optional.empty(), "GPU " + String.join(",", gpus.addresses())
                    + " assigned, but ND4J runs its CPU backend (build with -Pcuda)");
        }
        int device = deviceOf(gpus.addresses()[0], System.getenv("CUDA_VISIBLE_DEVICES"),
                Nd4j.getAffinityManager().getNumberOfDevices());
        Nd4j.getAffinityManager().unsafeSetDevice(device);
        return new Binding(Optional.of(device), "GPU " + device + " (Spark address " + gpus.addresses()[0] + ")");
    }

    /**
     * The CUDA device index of a Spark GPU address. Addresses are the indices the discovery
     * script printed (nvidia-smi order: set CUDA_DEVICE_ORDER=PCI_BUS_ID on executors so CUDA
     * numbers devices the same way). Where CUDA_VISIBLE_DEVICES narrows the devices (YARN and
     * Kubernetes isolation may), CUDA renumbers them from 0 in that list's order.
     */
    static int deviceOf(String address, String visibleDevices, int devices) {
        String a = address.trim();
        if (visibleDevices != null && !visibleDevices.isBlank()) {
            java.util.List<String> visible = java.util.Arrays.stream(visibleDevices.split(",")).map(String::trim).toList();
            if (visible.contains(a)) {
                a = String.valueOf(visible.indexOf(a));
            }
        }
        int id;
        try {
            id = Integer.parseInt(a);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("GPU address: expected a device index, found '" + address + "'");
        }
        if (id < 0 || id >= devices) {
            throw new IllegalStateException("GPU address " + id + ": expected 0.." + (devices - 1) + " (ND4J sees "
                    + devices + " devices; is CUDA_VISIBLE_DEVICES narrowing them?)");
        }
        return id;
    }
}
