package dev.upqr;

import java.util.concurrent.ConcurrentHashMap;

/** Library-wide information: version and status names. */
public final class Upqr {
    private static final ConcurrentHashMap<Integer, String> NAMES = new ConcurrentHashMap<>();

    private Upqr() {
    }

    /** The version of the native library actually loaded, e.g. "0.1.0". */
    public static String version() {
        return new Blob(Native.version()).message();
    }

    /** The packed version 0xMMmmpp of the loaded library. */
    public static int versionNumber() {
        return new Blob(Native.version()).i32();
    }

    /** The enum name of a status, e.g. "UPQR_EBUFSIZE" ("UPQR_UNKNOWN" for an unknown value). */
    public static String statusName(int status) {
        return NAMES.computeIfAbsent(status, s -> new Blob(Native.statusName(s)).str());
    }

    /** The library's English text for a status. */
    public static String strerror(int status) {
        return new Blob(Native.statusName(status)).message();
    }
}
