package dev.upqr;

/**
 * Sizes and limits of the C library, as constants for Java code and as
 * methods that ask the loaded library (libsodium style): a test checks
 * that both agree, so a library built with other limits is caught.
 */
public final class Limits {
    private Limits() {
    }

    public static final int MPM_INPUT_MAX = 40000;
    public static final int MPM_OBJECTS_MAX = 128;
    public static final int MPM_SUBOBJECTS_MAX = 1024;
    public static final int MPM_ACCOUNTS_MAX = 50;
    public static final int MPM_ENCODED_MAX = 40000;
    public static final int CPM_TEXT_MAX = 1024;
    public static final int CPM_BINARY_MAX = 768;
    public static final int CPM_NODES_MAX = 192;
    public static final int CPM_PAN_MAX = 19;
    public static final int CPM_AID_MAX = 16;
    public static final int CPM_GENERATED_MAX = 512;
    public static final int QR_VERSION_MAX = 40;
    public static final int QR_SIZE_MAX = 177;
    public static final int QR_MODULES_MAX = 31329;
    public static final int QR_SCALE_MAX = 64;
    public static final int QR_MARGIN_MIN = 4;
    public static final int QR_MARGIN_MAX = 64;
    public static final long SCAN_MAX_PIXELS = 16L * 1024 * 1024;
    public static final int SCAN_MAX_DIMENSION = 16384;
    public static final int SCAN_MAX_SYMBOLS = 16;
    public static final int ACP_FIELDS_MAX = 128;
    public static final int ACP_MESSAGE_MAX = 256 * 1024;
    public static final int ACP_SIGNATURE_MAX = 1368;
    public static final int VERIFIER_CACHE_MAX = 64;
    /** Diagnostics the binding keeps per call (further ones are counted, see dropped). */
    public static final int DIAGNOSTICS_MAX = 64;

    /** Ids of {@link #nativeValue}, in the order of jni_common.c. */
    static final int[] ALL = {
        MPM_INPUT_MAX, MPM_OBJECTS_MAX, MPM_SUBOBJECTS_MAX, MPM_ACCOUNTS_MAX, MPM_ENCODED_MAX,
        CPM_TEXT_MAX, CPM_BINARY_MAX, CPM_NODES_MAX, CPM_PAN_MAX, CPM_AID_MAX, CPM_GENERATED_MAX,
        QR_VERSION_MAX, QR_SIZE_MAX, QR_MODULES_MAX, QR_SCALE_MAX, QR_MARGIN_MIN, QR_MARGIN_MAX,
        (int) SCAN_MAX_PIXELS, SCAN_MAX_DIMENSION, SCAN_MAX_SYMBOLS, ACP_FIELDS_MAX, ACP_MESSAGE_MAX,
        ACP_SIGNATURE_MAX, VERIFIER_CACHE_MAX, DIAGNOSTICS_MAX,
    };

    /** The value the loaded library reports for limit {@code id} (index into the list above), -1 if unknown. */
    public static long nativeValue(int id) {
        return Native.limit(id);
    }

    public static int mpmInputMax() {
        return (int) Native.limit(0);
    }

    public static int mpmEncodedMax() {
        return (int) Native.limit(4);
    }

    public static int cpmTextMax() {
        return (int) Native.limit(5);
    }

    public static int qrModulesMax() {
        return (int) Native.limit(13);
    }

    public static long scanMaxPixels() {
        return Native.limit(17);
    }

    public static int acpSignatureMax() {
        return (int) Native.limit(22);
    }
}
