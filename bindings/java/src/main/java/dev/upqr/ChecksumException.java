package dev.upqr;

import java.util.List;

/** An MPM payload whose only error is its CRC (ECHECKSUM). */
public class ChecksumException extends InvalidInputException {
    private static final long serialVersionUID = 1L;

    ChecksumException(int status, String message, List<Diagnostic> diagnostics) {
        super(status, message, diagnostics);
    }
}
