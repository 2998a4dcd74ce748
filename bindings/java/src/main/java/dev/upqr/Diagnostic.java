package dev.upqr;

/**
 * One problem found in an input, as the C library reports it.
 *
 * @param code     stable snake_case name such as {@code crc_mismatch} (docs/mpm.md, upqr/cpm.h)
 * @param severity warning or error
 * @param offset   byte offset (UTF-8) in the input where the problem starts; for CPM, in the
 *                 decoded binary except for base64 problems
 * @param path     ID or tag path such as {@code 62.05} ("" for the input as a whole)
 * @param message  English text; never holds keys, PINs or full card numbers
 */
public record Diagnostic(String code, Severity severity, long offset, String path, String message) {
    @Override
    public String toString() {
        return severity.name().toLowerCase(java.util.Locale.ROOT) + " " + code + " at " + offset
                + (path.isEmpty() ? "" : " (" + path + ")") + ": " + message;
    }
}
