package dev.upqr;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * UnionPay ACP gateway messages: fields in message order, the two wire
 * formats (URL-encoded forms, raw {@code k=v&k=v} responses), the string
 * to sign and card-number masking. Stateless and thread-safe.
 */
public final class Acp {
    private Acp() {
    }

    /** One message field. */
    public record Field(String key, String value) {
        public Field {
            if (key == null || value == null) {
                throw new IllegalArgumentException("null key or value");
            }
        }
    }

    /** Protocol versions. */
    public enum Version {
        /** 5.1.0: SHA-256, signPubKeyCert checked against root + middle. */
        V5_1_0,
        /** 5.0.0: SHA-1, certificates by certId. */
        V5_0_0
    }

    /** signMethod values. */
    public enum SignMethod {
        RSA(1), SHA256(11), SM3(12);

        final int code;

        SignMethod(int code) {
            this.code = code;
        }
    }

    /** Packs fields for the JNI glue: per field u32 length + key, u32 length + value (UTF-8). */
    static byte[] pack(List<Field> fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Field f : fields) {
            part(out, Text.utf8(f.key()));
            part(out, Text.utf8(f.value()));
        }
        return out.toByteArray();
    }

    private static void part(ByteArrayOutputStream out, byte[] b) {
        int n = b.length;
        out.write(n >>> 24);
        out.write(n >>> 16);
        out.write(n >>> 8);
        out.write(n);
        out.write(b, 0, b.length);
    }

    private static List<Field> fields(Blob b) {
        int n = b.i32();
        List<Field> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String k = b.str();
            out.add(new Field(k, b.str()));
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * Parses a synchronous gateway response ({@code k=v&k=v}, values not URL-decoded).
     *
     * @throws InvalidInputException empty or duplicate keys, unbalanced brackets; ELIMIT
     */
    public static List<Field> parseResponse(String body) {
        return fields(new Blob(Native.acpParse(Text.utf8(body), false)).check());
    }

    /** Parses a notification body (application/x-www-form-urlencoded, strict %XX). */
    public static List<Field> parseForm(String body) {
        return fields(new Blob(Native.acpParse(Text.utf8(body), true)).check());
    }

    /** The fields as a form body, in the given order, everything but unreserved bytes escaped. */
    public static String formEncode(List<Field> fields) {
        return new Blob(Native.acpWrite(pack(fields), 0)).check().str();
    }

    /** The string to sign: every field but signature, sorted by key bytes. */
    public static String stringToSign(List<Field> fields) {
        return new Blob(Native.acpWrite(pack(fields), 1)).check().str();
    }

    /** First 6 and last 4 digits kept; shorter than 13 characters masked entirely. */
    public static String maskPan(String pan) {
        return new Blob(Native.acpMaskPan(Text.utf8(pan))).check().str();
    }
}
