package dev.upqr;

/**
 * A wallet's token profile read from its JSON text (format in docs/cpm.md:
 * aid, label, pan/track2, psn, app_version, ..., and optionally the key).
 * The same profile is the issuer's token record for
 * {@link Cpm#verifyToken}. Holds native memory (wiped on close).
 */
public final class CpmProfile extends NativeResource {
    private final boolean hasKey;

    private CpmProfile(long handle, boolean hasKey) {
        super(handle, Native::cpmProfileFree);
        this.hasKey = hasKey;
    }

    /**
     * Parses the JSON text.
     *
     * @throws InvalidInputException with diagnostics profile_json, profile_unknown_field,
     *                               profile_duplicate_field, profile_bad_value or profile_key
     */
    public static CpmProfile parse(String json) {
        byte[] text = Text.utf8(json);
        try {
            Blob b = new Blob(Native.cpmProfileParse(text)).check();
            long h = b.i64();
            return new CpmProfile(h, Native.cpmProfileHasKey(h));
        } finally {
            java.util.Arrays.fill(text, (byte) 0);
        }
    }

    /** True when the text names a key ("mk", or "imk" for tests). */
    public boolean hasKey() {
        return hasKey;
    }

    /**
     * The card's master key named by the text, as a new key the caller closes.
     *
     * @throws UpqrException ENOTFOUND when the text names no key
     */
    public synchronized EmvKey key() {
        return new EmvKey(new Blob(Native.cpmProfileKey(handle())).check().i64());
    }
}
