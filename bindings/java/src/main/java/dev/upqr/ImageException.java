package dev.upqr;

import java.util.List;

/** Images and QR symbols (EIMAGE, ETOOLARGE, ENOSYMBOL). */
public class ImageException extends UpqrException {
    private static final long serialVersionUID = 1L;

    ImageException(int status, String message, List<Diagnostic> diagnostics) {
        super(status, message, diagnostics);
    }
}
