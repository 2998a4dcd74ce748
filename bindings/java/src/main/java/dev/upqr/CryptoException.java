package dev.upqr;

import java.util.List;

/** Keys, cryptograms, replayed counters and token records (EREPLAY, EMISMATCH, ECRYPTO, EKEY, ERECORD). */
public class CryptoException extends UpqrException {
    private static final long serialVersionUID = 1L;

    CryptoException(int status, String message, List<Diagnostic> diagnostics) {
        super(status, message, diagnostics);
    }
}
