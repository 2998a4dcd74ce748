package dev.upqr;

/**
 * The native methods, one class so that the JNI surface is in one place
 * (bindings/java/jni/*.c). Every method answers a result blob read by
 * {@link Blob}; handles are raw pointers guarded by {@link NativeResource}.
 *
 * <p>The library is found with {@code System.loadLibrary("upqr_jni")}
 * (java.library.path, or an Android APK's lib/ABI folder), or at the path
 * named by the system property {@code upqr.jni.library}.
 */
final class Native {
    static {
        String path = System.getProperty("upqr.jni.library");
        if (path != null && !path.isEmpty()) {
            System.load(path);
        } else {
            System.loadLibrary("upqr_jni");
        }
    }

    private Native() {
    }

    static native byte[] version();
    static native byte[] statusName(int status);
    static native long limit(int id);

    /** The blob goes into {@code into} when it fits (that array is returned), else into a new array. */
    static native byte[] mpmDecode(byte[] input, int profile, boolean tree, byte[] into);
    /** As mpmDecode without the tables, from the String (made UTF-8 in C); the UTF-8 is in the blob. */
    static native byte[] mpmDecodeText(String text, int profile, byte[] into);
    static native byte[] mpmEncode(byte[] records, int profile);
    static native byte[] mpmSetAmount(byte[] payload, int profile, long amount);

    static native byte[] cpmDecode(byte[] text, boolean unionpayAids);
    static native byte[] emvKeyNew(int type, byte[] key);
    static native void emvKeyFree(long key);
    static native byte[] emvKeyKcv(long key);
    static native byte[] cpmProfileParse(byte[] json);
    static native void cpmProfileFree(long doc);
    static native byte[] cpmProfileKey(long doc);
    static native boolean cpmProfileHasKey(long doc);
    static native byte[] cpmGenerate(long key, long profile, int lastAtc, long amount, long un,
            int year, int month, int day, int type);
    static native byte[] cpmVerify(long key, int role, long profile, byte[] text);

    static native byte[] qrEncode(byte[] payload, int[] options);
    static native byte[] qrRender(int format, int[] options, byte[] modules, int size);

    static native byte[] scannerNew(long maxPixels, boolean tryHarder, boolean exhaustive,
            int maxPasses, int profile, boolean video, int frameBudgetUs, int dedupFrames);
    static native byte[] scannerReset(long scanner);
    static native void scannerFree(long scanner);
    static native byte[] scan(long scanner, int kind, byte[] data, int width, int height, int stride);

    static native byte[] acpParse(byte[] body, boolean form);
    static native byte[] acpWrite(byte[] packed, int kind);
    static native byte[] acpMaskPan(byte[] pan);
    static native byte[] signerNew(int version, int method, byte[] pfxPath, byte[] pfxData,
            byte[] password, byte[] keyPath, byte[] certPath, byte[] secureKey, byte[] encryptCert);
    static native void signerFree(long signer);
    static native byte[] signerCertId(long signer, int which);
    static native byte[] signerSign(long signer, byte[] packed, int kind);
    static native byte[] signerCrypt(long signer, byte[] in, boolean decrypt);
    static native byte[] verifierNew(byte[] root, byte[] middle, byte[] dir, boolean testEnv,
            byte[] secureKey, int cacheSize);
    static native void verifierFree(long verifier);
    static native long verifierCacheCount(long verifier);
    static native byte[] verifierVerify(long verifier, byte[] in, boolean cert, long at);

    static native byte[] acqNew(long signer, long verifier, long journal, byte[] packed, int[] ints,
            int[] backoff);
    static native void acqFree(long acq);
    static native byte[] acqCall(long acq, int op, byte[] packed, long amount);
    static native byte[] acqUpdateEncryptCert(long acq);
    static native byte[] acqNotify(long acq, byte[] body, byte[] urlQuery);
    static native byte[] acqRecover(long acq);
    static native byte[] acqIds(long acq, long unixSeconds);
    static native byte[] journalOpen(byte[] location, boolean create, int busyMs, long leaseMs, byte[] owner);
    static native void journalFree(long journal);
    static native byte[] journalBegin(long journal, int kind, byte[] packed, long amount);
    static native byte[] journalTransition(long journal, long id, int to, byte[] packed, long amount);
    static native byte[] journalFind(long journal, byte[] packed, int kind);
}
