package dev.upqr;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * 10,000 decodes leave the process's resident memory where it was. Each
 * decode allocates in C (the ~30 KiB payload, the input copy, the result
 * blob) and frees it again; a leak of any one of them would add 10,000
 * copies. run-tests.sh gives the JVM a fixed, pre-touched heap, so Java
 * garbage does not move VmRSS.
 */
class NativeMemoryTest {
    private static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        Assumptions.abort("no VmRSS in /proc/self/status");
        return 0;
    }

    private static long growthKiB(Runnable r) throws IOException {
        // warm-up: JIT compilation (C2 mallocs its arenas: compiling during the
        // measured calls grew VmRSS by up to 2.6 MiB now and then), malloc arenas
        for (int i = 0; i < 30_000; i++) {
            r.run();
        }
        System.gc();
        long before = rssKiB();
        for (int i = 0; i < 10_000; i++) {
            r.run();
        }
        System.gc();
        return rssKiB() - before;
    }

    @Test
    void tenThousandDecodesDoNotGrowNativeMemory() throws IOException {
        Assumptions.assumeTrue(Files.exists(Path.of("/proc/self/status")), "no /proc");
        // a large payload (~6 KiB): leaking its copy alone would add ~60 MiB
        StringBuilder b = new StringBuilder("000201010211");
        for (int id = 26; id <= 51; id++) {
            b.append(id).append("990016A0000003330101010175").append("X".repeat(75));
        }
        b.append("52045812530315658021CN5904SHOP6008SHANGHAI6304");
        String big = b.toString();
        String annexB = TestFiles.ANNEX_B;
        long g1 = growthKiB(() -> Mpm.inspect(big, Mpm.Profile.EMVCO).diagnostics());
        long g2 = growthKiB(() -> Mpm.decode(annexB).merchantName());
        long g3 = growthKiB(() -> Cpm.inspect("hQVDUFYwMWETTwegAAAAVVVVUAhQcm9kdWN0MQ==", false));
        // the 30 KiB payload or the result blob leaked per call would be >= 2.5 MiB here
        assertTrue(g1 < 2048 && g2 < 2048 && g3 < 2048,
                "VmRSS growth over 10,000 calls: " + g1 + " KiB, " + g2 + " KiB, " + g3 + " KiB");
    }
}
