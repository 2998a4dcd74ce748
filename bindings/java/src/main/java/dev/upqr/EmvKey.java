package dev.upqr;

/**
 * A long-lived EMV key (a card master key, or an issuer master key) held in
 * native memory: its bytes are wiped when the key is closed. One thread at
 * a time.
 */
public final class EmvKey extends NativeResource {
    /** Key types of upqr_emv_key_type. */
    public enum Type {
        TDES(1), AES128(2);

        final int code;

        Type(int code) {
            this.code = code;
        }
    }

    EmvKey(long handle) {
        super(handle, Native::emvKeyFree);
    }

    /**
     * A key from 16 bytes (copied; wipe your array afterwards).
     *
     * @throws CryptoException EKEY for a wrong length, ECRYPTO when OpenSSL lacks the cipher
     */
    public static EmvKey of(Type type, byte[] key) {
        Blob b = new Blob(Native.emvKeyNew(type.code, key)).check();
        return new EmvKey(b.i64());
    }

    /** Key check value: the first 3 bytes of the key encrypting a zero block. */
    public synchronized byte[] checkValue() {
        return new Blob(Native.emvKeyKcv(handle())).check().bytes();
    }
}
