package dev.upqr;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The merchant's signing key for ACP requests (signMethod 01 with an RSA
 * certificate, 11/12 with a secure key), and sensitive-field encryption.
 * Key material lives in native memory and is wiped on close. One thread at
 * a time.
 */
public final class Signer extends NativeResource {
    /** How to load the key; passwords and secure keys are wiped after {@link #open}. */
    public static final class Options {
        Acp.Version version = Acp.Version.V5_1_0;
        Acp.SignMethod method = Acp.SignMethod.RSA;
        String pfxPath;
        byte[] pfxData;
        char[] password;
        String keyPemPath;
        String certPemPath;
        byte[] secureKey;
        String encryptCertPath;

        public Options version(Acp.Version v) {
            version = v;
            return this;
        }

        public Options signMethod(Acp.SignMethod m) {
            method = m;
            return this;
        }

        /** A PKCS#12 file and its password (the array is read, not kept). */
        public Options pkcs12(Path file, char[] password) {
            pfxPath = file.toString();
            this.password = password;
            return this;
        }

        public Options pkcs12(byte[] data, char[] password) {
            pfxData = data.clone();
            this.password = password;
            return this;
        }

        public Options pem(Path key, Path cert) {
            keyPemPath = key.toString();
            certPemPath = cert.toString();
            return this;
        }

        /** The shared secret for signMethod 11/12 (copied). */
        public Options secureKey(byte[] key) {
            secureKey = key.clone();
            return this;
        }

        /** UnionPay's sensitive-information encryption certificate. */
        public Options encryptCertificate(Path cert) {
            encryptCertPath = cert.toString();
            return this;
        }
    }

    private Signer(long handle) {
        super(handle, Native::signerFree);
    }

    /**
     * Loads the key.
     *
     * @throws MessageSecurityException EPASSWORD, ECERT; UpqrException EIO, EKEY (as
     *                                  CryptoException), EINVAL for inconsistent options
     */
    public static Signer open(Options o) {
        byte[] pw = null;
        try {
            if (o.password != null) {
                pw = utf8(o.password);
            }
            Blob b = new Blob(Native.signerNew(o.version.ordinal(), o.method.code, Text.cstring(o.pfxPath),
                    o.pfxData, pw, Text.cstring(o.keyPemPath), Text.cstring(o.certPemPath), o.secureKey,
                    Text.cstring(o.encryptCertPath))).check();
            return new Signer(b.i64());
        } finally {
            if (pw != null) {
                Arrays.fill(pw, (byte) 0);
            }
            if (o.secureKey != null) {
                Arrays.fill(o.secureKey, (byte) 0);
            }
        }
    }

    /** UTF-8 of a password without an intermediate String (which could not be wiped). */
    private static byte[] utf8(char[] password) {
        java.nio.ByteBuffer buf;
        try {
            buf = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .encode(java.nio.CharBuffer.wrap(password));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw UpqrException.of(UpqrException.EENCODING, "password is not valid text", null);
        }
        byte[] out = new byte[buf.remaining()];
        buf.get(out);
        if (buf.hasArray()) {
            Arrays.fill(buf.array(), (byte) 0);
        }
        return out;
    }

    /** certId: the merchant certificate's serial in decimal ("" without a certificate). */
    public synchronized String certId() {
        return new Blob(Native.signerCertId(handle(), 0)).check().str();
    }

    /** encryptCertId ("" when no encryption certificate is configured). */
    public synchronized String encryptCertId() {
        return new Blob(Native.signerCertId(handle(), 1)).check().str();
    }

    /** The signature value over the fields (01: base64; 11/12: lower-case hex). */
    public synchronized String sign(List<Acp.Field> fields) {
        return new Blob(Native.signerSign(handle(), Acp.pack(fields), 0)).check().str();
    }

    /** A complete request body: certId (01) and signature added, URL-encoded. */
    public synchronized String buildRequest(List<Acp.Field> fields) {
        return new Blob(Native.signerSign(handle(), Acp.pack(fields), 1)).check().str();
    }

    /** Encrypts a sensitive value for UnionPay (base64). */
    public synchronized String encrypt(byte[] plain) {
        return new Blob(Native.signerCrypt(handle(), plain, false)).check().str();
    }

    /** Decrypts a value UnionPay encrypted for the merchant; wipe the result after use. */
    public synchronized byte[] decrypt(String base64) {
        Blob b = new Blob(Native.signerCrypt(handle(), base64.getBytes(StandardCharsets.US_ASCII), true));
        try {
            return b.check().bytes();
        } finally {
            b.wipe();
        }
    }
}
