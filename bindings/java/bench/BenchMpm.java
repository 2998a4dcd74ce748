import dev.upqr.Mpm;

/**
 * BenchMpm PAYLOADS - the cost of an MPM decode through the Java binding,
 * over the payloads `bench_mpm --payloads` printed into the file PAYLOADS
 * (one per line; the first is EMVCo Annex B.7, the payload of the C
 * mpm_decode_ns), timed like the C bench: best of 7 rounds of 20,000 calls.
 * bench/run.sh sets it against the C figure of the same run.
 *
 * Mpm.decode(String) is what is timed: text to UTF-8, one JNI call, the
 * decoded object with its named fields (strings made on access, so
 * merchantName() is read once per decode, as an app would).
 * RESULT java_mpm_decode_ns: Annex B.7; java_mpm_decode_set_ns: mean over the file.
 */
public final class BenchMpm {
    private BenchMpm() {
    }

    static double bestNs(String s) {
        int iters = 20000;
        double best = Double.MAX_VALUE;
        long sink = 0;
        for (int round = 0; round < 7; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < iters; i++) {
                Mpm.Payload p = Mpm.decode(s);
                String name = p.merchantName();
                sink += name == null ? 0 : name.length();
            }
            double t = (System.nanoTime() - t0) / (double) iters;
            best = Math.min(best, t);
        }
        if (sink == 42) {
            System.out.println();
        }
        return best;
    }

    public static void main(String[] args) throws java.io.IOException {
        java.util.List<String> set = java.nio.file.Files.readAllLines(java.nio.file.Path.of(args[0]));
        for (String s : set) {
            bestNs(s); // warm-up: JIT compilation
        }
        double sum = 0;
        double first = 0;
        System.out.printf("%-6s %12s%n", "bytes", "java ns");
        for (String s : set) {
            double ns = bestNs(s);
            first = first == 0 ? ns : first;
            sum += ns;
            System.out.printf("%6d %12.1f%n", s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, ns);
        }
        System.out.printf("RESULT java_mpm_decode_ns %.3f ns%n", first);
        System.out.printf("RESULT java_mpm_decode_set_ns %.3f ns%n", sum / set.size());
    }
}
