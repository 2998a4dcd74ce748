package dev.upqr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

/** Handles are freed exactly once and never used after close. */
class ResourceTest {
    private static <T extends NativeResource> void closeTwiceThenUse(Supplier<T> make, Consumer<T> use) {
        T r = make.get();
        use.accept(r); // works while open
        long before = NativeResource.FREED.get();
        r.close();
        assertTrue(r.isClosed());
        assertEquals(before + 1, NativeResource.FREED.get(), "close frees the handle");
        r.close();
        assertEquals(before + 1, NativeResource.FREED.get(), "a second close frees nothing");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> use.accept(r));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void scanner() {
        byte[] png = QrImage.encode("x").png();
        closeTwiceThenUse(Scanner::open, s -> s.scanImage(png));
    }

    @Test
    void signerAndVerifier() {
        byte[] key = new byte[8];
        closeTwiceThenUse(() -> Signer.open(new Signer.Options().signMethod(Acp.SignMethod.SHA256).secureKey(key)),
                s -> s.certId());
        closeTwiceThenUse(() -> Verifier.open(new Verifier.Options().secureKey(key)), Verifier::cacheCount);
    }

    @Test
    void keysAndProfiles() {
        String json = TestFiles.read(TestFiles.data("cpm-profile.json"));
        closeTwiceThenUse(() -> EmvKey.of(EmvKey.Type.TDES, new byte[16]), EmvKey::checkValue);
        closeTwiceThenUse(() -> CpmProfile.parse(json), p -> p.key().close());
        // a closed key or profile handed to Cpm is refused too
        CpmProfile p = CpmProfile.parse(json);
        EmvKey k = p.key();
        k.close();
        assertThrows(IllegalStateException.class, () -> Cpm.generate(k, p, 0, new Cpm.Txn()));
        p.close();
        try (EmvKey k2 = EmvKey.of(EmvKey.Type.TDES, new byte[16])) {
            assertThrows(IllegalStateException.class, () -> Cpm.generate(k2, p, 0, new Cpm.Txn()));
            assertThrows(IllegalStateException.class, () -> Cpm.verifyToken(k2, Cpm.KeyRole.ICC_MK, p, "hQ=="));
        }
    }

    /** Objects dropped without close are freed by the Cleaner. */
    @Test
    void cleanerFreesForgottenHandles() throws InterruptedException {
        long before = NativeResource.FREED.get();
        for (int i = 0; i < 200; i++) {
            EmvKey.of(EmvKey.Type.TDES, new byte[16]).checkValue(); // never closed
        }
        for (int i = 0; i < 100 && NativeResource.FREED.get() < before + 200; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(NativeResource.FREED.get() >= before + 200,
                "freed by the cleaner: " + (NativeResource.FREED.get() - before) + " of 200");
    }

    /** close racing with use from other threads: every call either works or sees "closed". */
    @Test
    void closeWhileOtherThreadsUseIt() throws InterruptedException {
        for (int round = 0; round < 20; round++) {
            EmvKey k = EmvKey.of(EmvKey.Type.TDES, new byte[16]);
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger ok = new AtomicInteger(), closed = new AtomicInteger(), other = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < 200; i++) {
                            k.checkValue();
                            ok.incrementAndGet();
                        }
                    } catch (IllegalStateException e) {
                        closed.incrementAndGet();
                    } catch (Throwable e) {
                        other.incrementAndGet();
                    }
                });
                th.start();
                threads.add(th);
            }
            go.countDown();
            k.close();
            for (Thread th : threads) {
                th.join();
            }
            assertEquals(0, other.get());
            assertFalse(!k.isClosed());
        }
    }
}
