import dev.upqr.Mpm;

/**
 * BenchMpm - the cost of an MPM decode through the Java binding, over the
 * payload set of bench/bench_mpm.c (EMVCo Annex B, UnionPay HK
 * multi-network, Korean, max-size), measured like it: best of 7 rounds,
 * averaged over the set. bench/run.sh sets it against the C
 * mpm_decode_ns of the same run (java_mpm_decode_ratio, target <= 2).
 *
 * RESULT java_mpm_decode_ns: Mpm.decode(String) - text to UTF-8, one JNI
 * call, the decoded object with its named fields (strings made on access,
 * so merchantName() is read once per decode here, as an app would).
 * RESULT java_mpm_decode_typical_ns: the same without the max-size payload
 * (against the C mpm_decode_typical_ns).
 */
public final class BenchMpm {
    static final String ANNEX_B = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
            + "520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
            + "540523.7253031565502016233030412340603***0708A60086670902ME91320016A011223344"
            + "9988770708123456786304A13A";
    static final String UNIONPAY_HK = "0002010102121531479803444798034459803449399006326450012hk.com.hkicl02091660695260512"
            + "29123123595952049399530334454042.005802HK5902NA6002HK6293011900-12348A10798425380218"
            + "001-20200726084100032263ee92126d3fb9ff7bed98041802150821101001445D80560013com.swiftp"
            + "ass0212181570002009041900-12348A10798425386304F335";
    static final String KOREAN = "0002010102121531260004102600041071195812000000026310014D410000001401005091000054085204"
            + "7299530341054062569805802KR5910NAISHUSIAT6013SEOUL MAPO-GU61050408662560309100005408"
            + "0515MQ202200012703306081000445207080000000164240002ko0104나이스샷0206서울 마포구63045C76";

    private BenchMpm() {
    }

    /** CRC-16/CCITT-FALSE, as upqr_crc16. */
    static int crc16(byte[] b) {
        int crc = 0xFFFF;
        for (byte x : b) {
            crc ^= (x & 0xFF) << 8;
            for (int i = 0; i < 8; i++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }
        return crc & 0xFFFF;
    }

    /** The same max-size payload bench_mpm.c builds. */
    static String maxPayload() {
        StringBuilder b = new StringBuilder("000201010212153147980344000203447980344599900015204581253033445406128.50"
                + "5802HK5920UPQR DEMO NOODLE BAR6009Hong Kong");
        String ans = "0123456789ABCDEFGHIJ0123456789ABCDEFGHIJ0123456789ABCDEFGHIJ0123456789ABCDEFGHIJ".substring(0, 75);
        for (int id = 26; id <= 51; id++) {
            b.append(id).append("990016A0000003330101010175").append(ans);
        }
        b.append("6454").append("0002ZH").append("0125").append("演示麵館演示麵館演示麵館演示麵館演示麵館演示麵館演")
                .append("0215").append("香港香港香港香港香港香港香港香");
        String ru = "мерчант-мерчант-мерчант-мерчант-мерчант-мерчант-мерчант-мерчант-мерчант-мерчант";
        for (int id = 80; id <= 99; id++) {
            b.append(id).append("990012com.upqr.dev0179").append(ru);
        }
        b.append("6304");
        return b + String.format("%04X", crc16(b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
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

    public static void main(String[] args) {
        String[][] set = {
            {"EMVCo Annex B", ANNEX_B}, {"UnionPay HK multi-network", UNIONPAY_HK}, {"Korean (Hangul)", KOREAN},
            {"max-size", maxPayload()},
        };
        for (String[] s : set) {
            bestNs(s[1]); // warm-up: JIT compilation
        }
        double sum = 0;
        double typical = 0;
        System.out.printf("%-28s %6s %12s%n", "payload", "bytes", "java ns");
        for (String[] s : set) {
            double ns = bestNs(s[1]);
            sum += ns;
            if (s != set[set.length - 1]) {
                typical += ns;
            }
            System.out.printf("%-28s %6d %12.1f%n", s[0], s[1].getBytes(java.nio.charset.StandardCharsets.UTF_8).length, ns);
        }
        System.out.printf("RESULT java_mpm_decode_ns %.3f ns%n", sum / set.length);
        System.out.printf("RESULT java_mpm_decode_typical_ns %.3f ns%n", typical / (set.length - 1));
    }
}
