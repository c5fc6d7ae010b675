package dev.ponder.core.params;

import java.util.Arrays;

/**
 * One named tensor of the layout: its shape, where it starts in the flat buffers, whether it gets
 * weight decay, and how it is initialised. Shapes use the reference implementation's layout
 * (PyTorch Linear weights are [out, in]).
 */
public record ParamSpec(String name, long[] shape, long offset, long length, boolean decay, Init init) {
    public ParamSpec {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    static long product(long[] shape) {
        long n = 1;
        for (long s : shape) {
            if (s <= 0) {
                throw new IllegalArgumentException("parameter dimensions must be positive, found " + Arrays.toString(shape));
            }
            n *= s;
        }
        return n;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + "@" + offset + (decay ? " decay" : "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ParamSpec p && p.name.equals(name) && Arrays.equals(p.shape, shape)
                && p.offset == offset && p.decay == decay && p.init.equals(init);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }
}
