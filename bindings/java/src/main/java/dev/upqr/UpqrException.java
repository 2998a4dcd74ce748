package dev.upqr;

import java.util.Collections;
import java.util.List;

/**
 * A failed upqr call: the C status code (a negative {@code upqr_status},
 * stable, never renumbered), its enum name such as {@code UPQR_EINVALID},
 * the library's message, and the diagnostics list when the input was
 * checked. Subclasses group the status families so callers can catch
 * what they can handle:
 * <ul>
 * <li>{@link InvalidInputException} - the input breaks the rules (and {@link ChecksumException})</li>
 * <li>{@link CryptoException} - keys, cryptograms, replays, token records</li>
 * <li>{@link ImageException} - images and QR symbols</li>
 * <li>{@link MessageSecurityException} - ACP signatures and certificates (-60..-79)</li>
 * <li>{@link NetworkException} - network and acquirer</li>
 * </ul>
 * Other statuses (bad argument, out of memory, I/O, unsupported) are plain
 * {@code UpqrException}s.
 */
public class UpqrException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public static final int EINVAL = -1;
    public static final int ENOMEM = -2;
    public static final int EBUFSIZE = -3;
    public static final int EINVALID = -4;
    public static final int ECHECKSUM = -5;
    public static final int EUNSUPPORTED = -6;
    public static final int EIO = -7;
    public static final int ENOTFOUND = -8;
    public static final int ELIMIT = -9;
    public static final int EVERSION = -10;
    public static final int EINTERNAL = -11;
    public static final int EENCODING = -12;
    public static final int ETLV = -20;
    public static final int EBASE64 = -21;
    public static final int EREPLAY = -22;
    public static final int EMISMATCH = -23;
    public static final int ECRYPTO = -24;
    public static final int EKEY = -25;
    public static final int ERECORD = -26;
    public static final int EIMAGE = -40;
    public static final int ETOOLARGE = -41;
    public static final int ENOSYMBOL = -42;
    public static final int ESIG_MISSING = -60;
    public static final int ESIG_DIGEST = -61;
    public static final int ECERT_UNTRUSTED = -62;
    public static final int ECERT_EXPIRED = -63;
    public static final int ECERT_NOTYET = -64;
    public static final int ECERT_CN = -65;
    public static final int ECERT_UNKNOWN = -66;
    public static final int EPASSWORD = -67;
    public static final int ECERT = -68;
    public static final int EAMBIGUOUS = -69;
    public static final int ECERT_PURPOSE = -70;

    private final int status;
    private final String statusName;
    private final transient List<Diagnostic> diagnostics;

    protected UpqrException(int status, String message, List<Diagnostic> diagnostics) {
        this(status, Upqr.statusName(status), message, diagnostics);
    }

    private UpqrException(int status, String name, String message, List<Diagnostic> diagnostics) {
        super(name + ": " + message + firstError(diagnostics));
        this.status = status;
        this.statusName = name;
        this.diagnostics = diagnostics == null ? Collections.emptyList() : diagnostics;
    }

    private static String firstError(List<Diagnostic> diags) {
        if (diags == null) {
            return "";
        }
        for (Diagnostic d : diags) {
            if (d.severity() == Severity.ERROR) {
                return " (" + d + ")";
            }
        }
        return "";
    }

    /** The exception class for a status. */
    static UpqrException of(int status, String message, List<Diagnostic> diags) {
        if (status == ECHECKSUM) {
            return new ChecksumException(status, message, diags);
        }
        if (status == EINVALID || status == ELIMIT || status == EENCODING || status == ETLV
                || status == EBASE64) {
            return new InvalidInputException(status, message, diags);
        }
        if (status <= EREPLAY && status >= ERECORD) {
            return new CryptoException(status, message, diags);
        }
        if (status <= EIMAGE && status >= ENOSYMBOL) {
            return new ImageException(status, message, diags);
        }
        if (status <= ESIG_MISSING && status >= -79) {
            return new MessageSecurityException(status, message, diags);
        }
        if (status <= -80 && status >= -99) {
            return new NetworkException(status, message, diags);
        }
        return new UpqrException(status, message, diags);
    }

    /** The {@code upqr_status} value, negative. */
    public int status() {
        return status;
    }

    /** The enum name, e.g. {@code UPQR_EINVALID}. */
    public String statusName() {
        return statusName;
    }

    /** Every problem the library stored for this call (may be empty), in input order. */
    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }
}
