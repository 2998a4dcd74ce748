package dev.upqr;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * Verifies UnionPay's signatures on responses and notifications: the
 * certificate must chain to the configured root and middle certificates at
 * the given time and belong to China UnionPay, and the signature must match
 * every field. One thread at a time.
 */
public final class Verifier extends NativeResource {
    /** Trust configuration. */
    public static final class Options {
        String root;
        String middle;
        String certDir;
        boolean testEnv;
        byte[] secureKey;
        int cacheSize;

        /** 5.1.0: UnionPay's root and middle CA certificates. */
        public Options trust(Path root, Path middle) {
            this.root = root.toString();
            this.middle = middle.toString();
            return this;
        }

        /** 5.0.0: a directory of UnionPay signing certificates by certId. */
        public Options certificateDirectory(Path dir) {
            certDir = dir.toString();
            return this;
        }

        /** Accept the test environment's CN form. Never in production. */
        public Options testEnvironment(boolean b) {
            testEnv = b;
            return this;
        }

        /** Shared secret for signMethod 11/12 (copied). */
        public Options secureKey(byte[] key) {
            secureKey = key.clone();
            return this;
        }

        /** Verified certificates kept (0 = default, at most {@link Limits#VERIFIER_CACHE_MAX}). */
        public Options cacheSize(int n) {
            cacheSize = n;
            return this;
        }
    }

    private Verifier(long handle) {
        super(handle, Native::verifierFree);
    }

    public static Verifier open(Options o) {
        try {
            Blob b = new Blob(Native.verifierNew(Text.cstring(o.root), Text.cstring(o.middle),
                    Text.cstring(o.certDir), o.testEnv, o.secureKey, o.cacheSize)).check();
            return new Verifier(b.i64());
        } finally {
            if (o.secureKey != null) {
                Arrays.fill(o.secureKey, (byte) 0);
            }
        }
    }

    private static long seconds(Instant at) {
        return at == null ? Long.MIN_VALUE : at.getEpochSecond();
    }

    /**
     * Verifies a parsed message with certificates checked against the clock.
     *
     * @throws MessageSecurityException the first failed check (ESIG_MISSING, ESIG_DIGEST,
     *                                  ECERT_UNTRUSTED, ECERT_EXPIRED, ...); the message names it
     */
    public void verify(List<Acp.Field> fields) {
        verify(fields, null);
    }

    /** As {@link #verify(List)} with certificates checked at {@code at} (null: now). */
    public synchronized void verify(List<Acp.Field> fields, Instant at) {
        new Blob(Native.verifierVerify(handle(), Acp.pack(fields), false, seconds(at))).check();
    }

    /** Checks one UnionPay signing certificate (PEM): chain, then subject. */
    public synchronized void checkCertificate(String pem, Instant at) {
        new Blob(Native.verifierVerify(handle(), Text.utf8(pem), true, seconds(at))).check();
    }

    /** Certificates in the verified-certificate cache. */
    public synchronized long cacheCount() {
        return Native.verifierCacheCount(handle());
    }
}
