package dev.upqr;

import java.util.List;

/** Network and acquirer failures (-80..-99). */
public class NetworkException extends UpqrException {
    private static final long serialVersionUID = 1L;

    NetworkException(int status, String message, List<Diagnostic> diagnostics) {
        super(status, message, diagnostics);
    }
}
