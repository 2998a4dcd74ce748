package dev.upqr;

import java.nio.charset.StandardCharsets;

/** Strings to and from UTF-8 for the C side, without the JVM's modified UTF-8. */
final class Text {
    private Text() {
    }

    /**
     * Real UTF-8 of s. An unpaired surrogate cannot be encoded: String.getBytes
     * would turn it into '?', silently changing the text, so it is refused.
     */
    static byte[] utf8(String s) {
        if (s == null) {
            return null;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        // getBytes writes '?' for an unpaired surrogate, so without a '?' byte
        // there was none: a byte search, cheaper than a char scan of the text.
        if (hasQuestionMark(b)) {
            checkSurrogates(s);
        }
        return b;
    }

    private static boolean hasQuestionMark(byte[] b) {
        for (byte x : b) {
            if (x == '?') {
                return true;
            }
        }
        return false;
    }

    private static void checkSurrogates(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    throw UpqrException.of(UpqrException.EENCODING,
                            "unpaired surrogate at index " + i, null);
                }
            }
        }
    }

    /** As utf8, for C strings: U+0000 would end the text early, so it is refused too. */
    static byte[] cstring(String s) {
        if (s != null && s.indexOf('\0') >= 0) {
            throw UpqrException.of(UpqrException.EENCODING, "text contains U+0000", null);
        }
        return utf8(s);
    }

    static String string(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
