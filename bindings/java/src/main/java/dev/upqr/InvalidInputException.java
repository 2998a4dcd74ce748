package dev.upqr;

import java.util.List;

/** The input breaks the rules of its format (EINVALID, ELIMIT, EENCODING, ETLV, EBASE64); see the diagnostics. */
public class InvalidInputException extends UpqrException {
    private static final long serialVersionUID = 1L;

    InvalidInputException(int status, String message, List<Diagnostic> diagnostics) {
        super(status, message, diagnostics);
    }
}
