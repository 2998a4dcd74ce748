package dev.upqr;

import java.util.List;

/**
 * Order-journal refusals and failures (-100..-119): a duplicate orderId, a
 * transition the record's state does not allow, a refund beyond the
 * original amount (refused before anything is sent), an order another
 * process holds, a damaged or foreign database, a lock held too long.
 */
public class JournalException extends UpqrException {
    private static final long serialVersionUID = 1L;

    JournalException(int status, String message, List<Diagnostic> diagnostics) {
        super(status, message, diagnostics);
    }
}
