package dev.upqr;

import java.lang.ref.Cleaner;
import java.util.function.LongConsumer;

/**
 * A native handle with try-with-resources and a {@link Cleaner} as the
 * safety net. The handle is freed exactly once: by {@link #close()}, or by
 * the cleaner when the object becomes unreachable without having been
 * closed. Every use goes through {@link #handle()} under the object's
 * lock, so a call after close throws {@link IllegalStateException} and
 * close cannot free a handle another thread is using.
 */
public abstract class NativeResource implements AutoCloseable {
    /**
     * The safety net; null where java.lang.ref.Cleaner does not exist
     * (Android below API 33), and then close() is the only way to free.
     */
    private static final Cleaner CLEANER = createCleaner();
    /** Handles freed so far, by close or by the cleaner (for the tests). */
    static final java.util.concurrent.atomic.AtomicLong FREED = new java.util.concurrent.atomic.AtomicLong();

    /** Holds the pointer; must not refer to the resource itself (or it is never cleaned). */
    private static final class Releaser implements Runnable {
        private long handle;
        private final LongConsumer free;

        Releaser(long handle, LongConsumer free) {
            this.handle = handle;
            this.free = free;
        }

        @Override
        public synchronized void run() {
            long h = handle;
            handle = 0;
            if (h != 0) {
                free.accept(h);
                FREED.incrementAndGet();
            }
        }

        synchronized long get() {
            return handle;
        }
    }

    private final Releaser releaser;
    private final Cleaner.Cleanable cleanable;

    private static Cleaner createCleaner() {
        try {
            return Cleaner.create();
        } catch (LinkageError e) {
            return null;
        }
    }

    NativeResource(long handle, LongConsumer free) {
        if (handle == 0) {
            throw new IllegalArgumentException("null native handle");
        }
        releaser = new Releaser(handle, free);
        cleanable = CLEANER == null ? null : CLEANER.register(this, releaser);
    }

    /** The live handle; callers hold this object's lock while they use it. */
    final long handle() {
        long h = releaser.get();
        if (h == 0) {
            throw new IllegalStateException(getClass().getSimpleName() + " is closed");
        }
        return h;
    }

    /** True once closed. */
    public final synchronized boolean isClosed() {
        return releaser.get() == 0;
    }

    /** Frees the native handle; later calls do nothing. */
    @Override
    public final synchronized void close() {
        if (cleanable != null) {
            cleanable.clean(); // runs the releaser at most once, and unregisters it
        } else {
            releaser.run();
        }
    }
}
