package dev.upqr;

import java.util.List;

/** ACP message signatures and certificates (ESIG_*, ECERT*, EPASSWORD, EAMBIGUOUS: -60..-79). */
public class MessageSecurityException extends UpqrException {
    private static final long serialVersionUID = 1L;

    MessageSecurityException(int status, String message, List<Diagnostic> diagnostics) {
        super(status, message, diagnostics);
    }
}
