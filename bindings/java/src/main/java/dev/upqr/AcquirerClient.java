package dev.upqr;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;

/**
 * The acquirer client (upqr/acquirer.h): UnionPay's ACP gateway over
 * libcurl, with an outcome model that never calls an order paid before a
 * verified message says so. Every money call ends {@link Outcome#SUCCESS},
 * {@link Outcome#FAILED} or {@link Outcome#UNKNOWN}; unless
 * {@link Options#syncOnly}, an unknown consume is resolved by the query loop
 * and, still unknown at its end, reversed before the call returns.
 *
 * <p>The client opens and owns its signer, verifier and journal (from the
 * options) and closes them with itself. Calls block (network, back-off) and
 * run one at a time per client ({@code synchronized}); for parallel orders
 * open several clients, which may share one journal database.
 */
public final class AcquirerClient extends NativeResource {
    /** The outcome of a call. */
    public enum Outcome {
        /** A verified reply, query or notification said the order succeeded. */
        SUCCESS,
        /** A verified final failure, or the order was reversed. */
        FAILED,
        /** Nothing verified decided it yet: query again later, or recover. */
        UNKNOWN
    }

    /**
     * What one call learned, copied from {@code upqr_acq_result}. Text the
     * gateway did not send is ""; amounts are minor units (fen), -1 when absent.
     *
     * @param cause     UNKNOWN: the status that made it unknown (0 when the order is simply not final)
     * @param message   respMsg, or the client's last error when there is none
     * @param accepted  the gateway accepted the request (a verified sync 00)
     * @param reversed  a reversal ended this order
     * @param accNoMasked the card number as the library gives it: first 6 and last 4 only
     */
    public record Result(Outcome outcome, int cause, boolean accepted, boolean reversed, int queries,
            String respCode, String respMsg, String origRespCode, String orderId, String txnTime,
            String queryId, String traceNo, String traceTime, String settleDate, long txnAmt, long settleAmt,
            String qrCode, String accNoMasked, String encryptCertId, String message) {

        public boolean isSuccess() {
            return outcome == Outcome.SUCCESS;
        }

        static Result read(Blob b) {
            int o = b.i32();
            int cause = b.i32();
            boolean accepted = b.u8() != 0;
            boolean reversed = b.u8() != 0;
            int queries = b.i32();
            String code = b.str();
            String msg = b.str();
            String orig = b.str();
            String orderId = b.str();
            String txnTime = b.str();
            String queryId = b.str();
            String traceNo = b.str();
            String traceTime = b.str();
            String settle = b.str();
            long amt = b.i64();
            long settleAmt = b.i64();
            String qr = b.str();
            String acc = b.str();
            String enc = b.str();
            String lastError = b.str();
            Outcome outcome = o == 0 ? Outcome.SUCCESS : o == 1 ? Outcome.FAILED : Outcome.UNKNOWN;
            return new Result(outcome, cause, accepted, reversed, queries, code, msg, orig, orderId, txnTime,
                    queryId, traceNo, traceTime, settle, amt, settleAmt, qr, acc, enc,
                    msg.isEmpty() ? lastError : msg);
        }
    }

    /**
     * What {@link #handleNotification} decided: answer {@code httpStatus} to
     * UnionPay (200 only once the journal has it; 400 rejected; 500 retry later).
     *
     * @param error the reason it was not handled (null when httpStatus is 200)
     */
    public record Notification(int httpStatus, boolean verified, boolean duplicate, String txnType,
            Result result, UpqrException error) {
    }

    /** What {@link #recover} did with the journal's unfinished orders. */
    public record RecoverStats(long claimed, long succeeded, long failed, long reversed, long unknown) {
    }

    /** A void or refund: name the original by queryId, or by orderId (+ txnTime). */
    public static final class Undo {
        final long amount;
        String origQueryId;
        String origOrderId;
        String origTxnTime;
        String orderId;
        String txnTime;

        /** Minor units: a void's is the original amount; a refund's at most what remains. */
        public Undo(long amount) {
            this.amount = amount;
        }

        public Undo origQueryId(String s) {
            origQueryId = s;
            return this;
        }

        /** The original's orderId and txnTime (txnTime may be null with a journal). */
        public Undo original(String orderId, String txnTime) {
            origOrderId = orderId;
            origTxnTime = txnTime;
            return this;
        }

        /** The void's or refund's own orderId and txnTime (null: generated). */
        public Undo ids(String orderId, String txnTime) {
            this.orderId = orderId;
            this.txnTime = txnTime;
            return this;
        }
    }

    /** Sensitive consume fields, sent encrypted with the signer's encryption certificate. */
    public static final class Sensitive {
        String accNo;
        String phoneNo;
        String cvn2;
        String expired;

        public Sensitive accNo(String s) {
            accNo = s;
            return this;
        }

        public Sensitive phoneNo(String s) {
            phoneNo = s;
            return this;
        }

        public Sensitive cvn2(String s) {
            cvn2 = s;
            return this;
        }

        public Sensitive expired(String s) {
            expired = s;
            return this;
        }
    }

    /** The client's options ({@code upqr_acquirer_options}). */
    public static final class Options {
        String merId;
        String accessType;
        String acqInsCode;
        String baseUrl;
        Signer.Options signer;
        Verifier.Options verifier;
        Journal.Options journal;
        String backUrl;
        int connectTimeoutMs = 30000;
        int totalTimeoutMs = 30000;
        String caFile;
        String pinnedPublicKey;
        boolean testEnv;
        String userAgent;
        boolean insecureLoopbackTls;
        int[] backoffMs = new int[0];
        int timeDivisor = 1;
        boolean syncOnly;

        /**
         * @param merId   15 digits
         * @param baseUrl gateway base URL without the path; https except on loopback hosts
         * @param signer  the merchant key (its version and signMethod are the client's)
         * @param verifier UnionPay's trust
         */
        public Options(String merId, String baseUrl, Signer.Options signer, Verifier.Options verifier) {
            this.merId = merId;
            this.baseUrl = baseUrl;
            this.signer = signer;
            this.verifier = verifier;
        }

        /** "0" merchant (default), "1" acquirer (with its acqInsCode), "2" platform. */
        public Options accessType(String type, String acqInsCode) {
            accessType = type;
            this.acqInsCode = acqInsCode;
            return this;
        }

        /** The order journal the client records every order in (null: none). */
        public Options journal(Journal.Options j) {
            journal = j;
            return this;
        }

        /** The journal at a file path or postgresql:// URL. */
        public Options journal(String location) {
            journal = location == null ? null : new Journal.Options(location);
            return this;
        }

        /** Notification URL sent as backUrl (required for money calls). */
        public Options backUrl(String url) {
            backUrl = url;
            return this;
        }

        public Options timeouts(int connectMs, int totalMs) {
            connectTimeoutMs = connectMs;
            totalTimeoutMs = totalMs;
            return this;
        }

        /** CA bundle for the gateway's TLS certificate (null: the system's). */
        public Options caFile(Path file) {
            caFile = file == null ? null : file.toString();
            return this;
        }

        /** Public-key pin: "sha256//base64" or a key file. */
        public Options pinnedPublicKey(String pin) {
            pinnedPublicKey = pin;
            return this;
        }

        /** UnionPay's test environment or a simulator; must agree with the base URL's host. */
        public Options testEnvironment(boolean b) {
            testEnv = b;
            return this;
        }

        public Options userAgent(String ua) {
            userAgent = ua;
            return this;
        }

        /** TLS verification off: refused unless the host is loopback. Simulators only. */
        public Options insecureLoopbackTls(boolean b) {
            insecureLoopbackTls = b;
            return this;
        }

        /** Query loop delays in ms (none: 1, 2, 4, 8, 16, 32 s); at most {@link #BACKOFF_MAX}. */
        public Options backoffMs(int... delays) {
            backoffMs = delays.clone();
            return this;
        }

        /** Every delay is divided by this (tests). */
        public Options timeDivisor(int d) {
            timeDivisor = d;
            return this;
        }

        /** Money calls return after the sync reply; resolve, notifications or recover decide later. */
        public Options syncOnly(boolean b) {
            syncOnly = b;
            return this;
        }
    }

    /** Most query-loop delays ({@code UPQR_ACQ_BACKOFF_MAX}). */
    public static final int BACKOFF_MAX = 16;

    private static final int APPLY = 0;
    private static final int CONSUME = 1;
    private static final int VOID = 2;
    private static final int REFUND = 3;
    private static final int QUERY = 4;
    private static final int RESOLVE = 5;
    private static final int REVERSE = 6;

    private final String merId;
    private final Journal journal;

    private AcquirerClient(long handle, String merId, Signer signer, Verifier verifier, Journal journal) {
        // The C client borrows them: freed after it, and with it (never referring to this).
        super(handle, h -> {
            Native.acqFree(h);
            signer.close();
            verifier.close();
            if (journal != null) {
                journal.close();
            }
        });
        this.merId = merId;
        this.journal = journal;
    }

    /**
     * Loads the key and trust, opens the journal and checks the options;
     * nothing is sent.
     *
     * @throws UpqrException EINVAL for a refused option (merId, URL, loopback rule), or the
     *                       signer's, verifier's or journal's error
     */
    public static AcquirerClient open(Options o) {
        if (o.backoffMs.length > BACKOFF_MAX) {
            throw UpqrException.of(UpqrException.EINVAL, "at most " + BACKOFF_MAX + " back-off delays", null);
        }
        for (int d : o.backoffMs) {
            if (d < 0) {
                throw UpqrException.of(UpqrException.EINVAL, "back-off delays must not be negative", null);
            }
        }
        if (o.timeDivisor < 0 || o.connectTimeoutMs < 0 || o.totalTimeoutMs < 0) {
            throw UpqrException.of(UpqrException.EINVAL, "timeouts and the time divisor must not be negative",
                    null);
        }
        if (o.signer == null || o.verifier == null) {
            throw UpqrException.of(UpqrException.EINVAL, "a signer and a verifier are required", null);
        }
        ByteArrayOutputStream packed = new ByteArrayOutputStream();
        for (String s : new String[] {o.merId, o.accessType, o.acqInsCode, o.baseUrl, o.caFile,
                o.pinnedPublicKey, o.userAgent, o.backUrl}) {
            slot(packed, s);
        }
        int[] ints = {o.signer.version.ordinal(), o.signer.method.code, o.connectTimeoutMs, o.totalTimeoutMs,
                o.testEnv ? 1 : 0, o.insecureLoopbackTls ? 1 : 0, o.timeDivisor, o.syncOnly ? 1 : 0};
        Signer signer = Signer.open(o.signer);
        Verifier verifier = null;
        Journal journal = null;
        try {
            verifier = Verifier.open(o.verifier);
            journal = o.journal == null ? null : Journal.open(o.journal);
            long h;
            synchronized (signer) {
                synchronized (verifier) {
                    h = new Blob(Native.acqNew(signer.handle(), verifier.handle(),
                            journal == null ? 0 : journal.handle(), packed.toByteArray(), ints, o.backoffMs))
                            .check().i64();
                }
            }
            return new AcquirerClient(h, o.merId, signer, verifier, journal);
        } catch (RuntimeException e) {
            signer.close();
            if (verifier != null) {
                verifier.close();
            }
            if (journal != null) {
                journal.close();
            }
            throw e;
        }
    }

    /** One optional C string: a presence byte, then the UTF-8 text and a NUL. */
    static void slot(ByteArrayOutputStream out, String s) {
        if (s == null) {
            out.write(0);
            return;
        }
        out.write(1);
        byte[] b = Text.cstring(s);
        out.write(b, 0, b.length);
        out.write(0);
    }

    private synchronized Result call(int op, long amount, String... strings) {
        ByteArrayOutputStream packed = new ByteArrayOutputStream();
        for (String s : strings) {
            slot(packed, s);
        }
        for (int i = strings.length; i < 10; i++) {
            packed.write(0);
        }
        byte[] data = packed.toByteArray();
        try {
            Blob b = new Blob(Native.acqCall(handle(), op, data, amount)).check();
            return Result.read(b);
        } finally {
            Arrays.fill(data, (byte) 0); // may hold card data
        }
    }

    /** The merchant this client sends as merId. */
    public String merId() {
        return merId;
    }

    /**
     * Applies for a consumer-scan QR code (01/07): SUCCESS = the code was
     * issued ({@link Result#qrCode()}), not paid. {@code amount} 0 lets the payer enter it.
     * orderId / txnTime / termId / reqReserved may be null (ids generated).
     *
     * @throws UpqrException when nothing was sent (bad request: EINVAL; journal refusals)
     */
    public Result applyQr(long amount, String orderId, String txnTime, String termId, String reqReserved) {
        return call(APPLY, amount, orderId, txnTime, termId, reqReserved);
    }

    public Result applyQr(long amount) {
        return applyQr(amount, null, null, null, null);
    }

    /** Charges the consumer's 19-digit UnionPay payment code (01/06). */
    public Result consumeQrNo(String qrNo, long amount, String orderId, String txnTime) {
        return consume(qrNo, null, amount, orderId, txnTime, null, null, null);
    }

    public Result consumeQrNo(String qrNo, long amount) {
        return consumeQrNo(qrNo, amount, null, null);
    }

    /** Charges an EMV CPM payload (base64 BER-TLV, sent as emvCpqrcPayload). */
    public Result consumeCpm(String payload, long amount, String orderId, String txnTime) {
        return consume(null, payload, amount, orderId, txnTime, null, null, null);
    }

    /**
     * The full consume: exactly one of qrNo and cpmPayload; sensitive may be
     * null. Unless syncOnly, runs the query loop and reverses an order still
     * unknown at its end.
     */
    public Result consume(String qrNo, String cpmPayload, long amount, String orderId, String txnTime,
            String termId, String reqReserved, Sensitive sensitive) {
        Sensitive s = sensitive == null ? new Sensitive() : sensitive;
        return call(CONSUME, amount, orderId, txnTime, qrNo, cpmPayload, termId, reqReserved, s.accNo,
                s.phoneNo, s.cvn2, s.expired);
    }

    /** Voids (31/00) a same-day successful consume, for its full amount. */
    public Result voidOrder(Undo u) {
        return call(VOID, u.amount, u.orderId, u.txnTime, u.origQueryId, u.origOrderId, u.origTxnTime);
    }

    /**
     * Refunds (04/00) a successful order, partly or wholly. With a journal a
     * refund beyond what remains is refused before it is sent
     * ({@link JournalException} EOVERREFUND).
     */
    public Result refund(Undo u) {
        return call(REFUND, u.amount, u.orderId, u.txnTime, u.origQueryId, u.origOrderId, u.origTxnTime);
    }

    /** One query (00/00): SUCCESS / FAILED when the order is final, UNKNOWN otherwise. */
    public Result query(String orderId, String txnTime) {
        return call(QUERY, 0, orderId, txnTime);
    }

    /** The query loop: queries with the back-off until the order is final. */
    public Result resolve(String orderId, String txnTime) {
        return call(RESOLVE, 0, orderId, txnTime);
    }

    /** Reverses (99/01) a merchant-scan consume: SUCCESS = reversed. */
    public Result reverse(String orderId, String txnTime) {
        return call(REVERSE, 0, orderId, txnTime);
    }

    /** The 95/00 answer: the outcome, and the new encryption certificate (PEM) on SUCCESS. */
    public record EncryptCertUpdate(Result result, String pem) {
    }

    /**
     * Fetches UnionPay's current encryption certificate (95/00) in a verified
     * reply, checks it (chain, encryption key usage, UnionPay CN, validity)
     * and makes it this client's signer's encryption certificate: SUCCESS,
     * {@link Result#encryptCertId()} its serial. A certificate failing a check
     * is refused: the exception names the check, the signer is unchanged.
     */
    public synchronized EncryptCertUpdate updateEncryptionCertificate() {
        Blob b = new Blob(Native.acqUpdateEncryptCert(handle())).check();
        Result r = Result.read(b);
        return new EncryptCertUpdate(r, Text.string(b.bytes()));
    }

    /**
     * Handles one notification POST: {@code body} the raw form body,
     * {@code urlQuery} the notification URL's own query string (may be null;
     * not signed, discarded). Verifies it, books it in the journal by queryId
     * (a repeat changes nothing, {@code duplicate}) and says which HTTP status
     * to answer. Never throws for a bad notification: see {@link Notification#error()}.
     */
    public synchronized Notification handleNotification(byte[] body, String urlQuery) {
        Blob b = new Blob(Native.acqNotify(handle(), body, Text.cstring(urlQuery)));
        int http = b.i32();
        boolean verified = b.u8() != 0;
        boolean duplicate = b.u8() != 0;
        String txnType = b.str();
        Result r = Result.read(b);
        UpqrException err = b.status == 0 ? null : UpqrException.of(b.status, b.message(), b.diagnostics);
        return new Notification(http, verified, duplicate, txnType, r, err);
    }

    /**
     * Drives every unfinished order of the journal to a final state (query
     * loop; reversal of merchant-scan consumes where allowed); orders another
     * handle holds are skipped.
     *
     * @throws UpqrException EINVAL without a journal
     */
    public synchronized RecoverStats recover() {
        Blob b = new Blob(Native.acqRecover(handle())).check();
        return new RecoverStats(b.i64(), b.i64(), b.i64(), b.i64(), b.i64());
    }

    /** A new orderId: Beijing txnTime + per-client sequence + 8 random alphanumerics (28 characters). */
    public synchronized String newOrderId() {
        return new Blob(Native.acqIds(handle(), Instant.now().getEpochSecond())).check().str();
    }

    /** The journal record of one of this client's orders (empty without a journal or record). */
    public synchronized java.util.Optional<Journal.Record> journalRecord(String orderId) {
        handle();
        return journal == null ? java.util.Optional.empty() : journal.find(merId, orderId);
    }

    /** Beijing time (UTC+8) of {@code at} as YYYYMMDDhhmmss, whatever the time zone. */
    public static String txnTime(Instant at) {
        return new Blob(Native.acqIds(0, at.getEpochSecond())).check().str();
    }
}
