package dev.upqr;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Reads a result blob written by the JNI glue (bindings/java/jni/upqr_jni.h):
 * status, message, diagnostics, then the call's own fields, big-endian.
 */
final class Blob {
    private final byte[] b;
    private int at;
    final int status;
    // the message is decoded when asked: most successful calls never read it
    private final int messageAt;
    final List<Diagnostic> diagnostics;
    final int dropped;

    Blob(byte[] data) {
        b = data;
        status = i32();
        messageAt = at;
        int n = i32();
        at += n == -1 ? 0 : n;
        diagnostics = diagnosticList();
        dropped = i32();
    }

    /** The status message (the library's text for the status when the call gave none), or null. */
    String message() {
        int n = i32(b, messageAt);
        return n == -1 ? null : new String(b, messageAt + 4, n, StandardCharsets.UTF_8);
    }

    /** A diagnostics list: count, then code, severity, offset, path, message each. */
    List<Diagnostic> diagnosticList() {
        int n = i32();
        if (n == 0) {
            return Collections.emptyList();
        }
        List<Diagnostic> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String code = str();
            Severity sev = u8() == 2 ? Severity.ERROR : Severity.WARNING;
            long offset = i64();
            list.add(new Diagnostic(code, sev, offset, str(), str()));
        }
        return Collections.unmodifiableList(list);
    }

    /** Throws the exception for a failed status; returns this otherwise. */
    Blob check() {
        if (status != 0) {
            throw UpqrException.of(status, message(), diagnostics);
        }
        return this;
    }

    /** The byte array and the read position, for readers that index fixed-size parts in place. */
    byte[] data() {
        return b;
    }

    int position() {
        return at;
    }

    void skip(int n) {
        at += n;
    }

    static int i32(byte[] b, int at) {
        return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }

    static long i64(byte[] b, int at) {
        return ((long) i32(b, at) << 32) | (i32(b, at + 4) & 0xFFFFFFFFL);
    }

    int u8() {
        return b[at++] & 0xFF;
    }

    int i32() {
        int v = i32(b, at);
        at += 4;
        return v;
    }

    long i64() {
        long hi = i32() & 0xFFFFFFFFL;
        long lo = i32() & 0xFFFFFFFFL;
        return (hi << 32) | lo;
    }

    /** A byte field, or null. */
    byte[] bytes() {
        int n = i32();
        if (n == -1) {
            return null;
        }
        byte[] out = new byte[n];
        System.arraycopy(b, at, out, 0, n);
        at += n;
        return out;
    }

    /** A text field decoded as UTF-8, or null. */
    String str() {
        int n = i32();
        if (n == -1) {
            return null;
        }
        String s = new String(b, at, n, StandardCharsets.UTF_8);
        at += n;
        return s;
    }

    /** Overwrites the blob (it held a secret). */
    void wipe() {
        java.util.Arrays.fill(b, (byte) 0);
    }
}
