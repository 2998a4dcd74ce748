package dev.upqr;

import java.io.ByteArrayOutputStream;
import java.util.Optional;

/**
 * The order journal (upqr/journal.h): every order the acquirer client
 * sends, recorded before its request leaves and moved on every state
 * change, in a SQLite file or a PostgreSQL database. Open it to look
 * orders up; an {@link AcquirerClient} opens its own handle from
 * {@link AcquirerClient.Options#journal}. One thread at a time per handle;
 * several handles (and processes) may share one database.
 */
public final class Journal extends NativeResource {
    /** What an order is (stored by name). */
    public enum Kind {
        NONE, APPLY_QR, CONSUME_QRNO, CONSUME_CPM, VOID, REFUND, REVERSAL
    }

    /** Where an order stands; SUCCESS, FAILED, VOIDED, REVERSED and REFUNDED are final. */
    public enum State {
        PENDING, UNKNOWN, ACCEPTED, SUCCESS, FAILED, VOIDED, REVERSED, REFUNDED;

        public boolean isFinal() {
            return ordinal() >= SUCCESS.ordinal();
        }

        static State of(int code) {
            return code >= 1 && code <= values().length ? values()[code - 1] : null;
        }
    }

    /**
     * One order. Money is in minor units (fen); times are Unix milliseconds;
     * text the gateway did not send is "".
     */
    public record Record(long id, Kind kind, State state, String merId, String orderId, String txnTime,
            long amount, String currency, long origId, String origOrderId, String origTxnTime,
            String origQueryId, String respCode, String origRespCode, String respMsg, String queryId,
            long refundedTotal, long attempts, long createdMs, long updatedMs) {
    }

    /** Where and how to open. */
    public static final class Options {
        final String location;
        boolean create = true;
        int busyTimeoutMs;
        long leaseMs;
        String owner;

        /** A file path (SQLite) or a postgresql:// / postgres:// connection URI. */
        public Options(String location) {
            this.location = location;
        }

        /** false: a missing SQLite file is ENOTFOUND instead of being created. */
        public Options create(boolean b) {
            create = b;
            return this;
        }

        /** How long a write waits for another writer's lock (0: 10 s), then EBUSY. */
        public Options busyTimeoutMs(int ms) {
            busyTimeoutMs = ms;
            return this;
        }

        /** Lease of this handle's claims (0: 300 s). */
        public Options leaseMs(long ms) {
            leaseMs = ms;
            return this;
        }

        /** Owner name of this handle's claims (null: host, pid and random; unique per handle). */
        public Options owner(String name) {
            owner = name;
            return this;
        }
    }

    private Journal(long handle) {
        super(handle, Native::journalFree);
    }

    /** Opens a journal with the default options. */
    public static Journal open(String location) {
        return open(new Options(location));
    }

    /**
     * Opens (and, for a new SQLite file, creates) the journal.
     *
     * @throws JournalException ECORRUPT, EFOREIGN; UpqrException ENOTFOUND, EIO, EINVAL
     */
    public static Journal open(Options o) {
        if (o.location == null) {
            throw UpqrException.of(UpqrException.EINVAL, "journal location is null", null);
        }
        Blob b = new Blob(Native.journalOpen(Text.cstring(o.location), o.create, o.busyTimeoutMs,
                o.leaseMs, Text.cstring(o.owner))).check();
        return new Journal(b.i64());
    }

    /** The record of merId + orderId, whatever its kind except a reversal. */
    public Optional<Record> find(String merId, String orderId) {
        return find(merId, orderId, Kind.NONE);
    }

    /**
     * The record of merId + orderId of that kind ({@link Kind#REVERSAL}: the
     * reversal of the consume with that orderId); empty when there is none.
     */
    public synchronized Optional<Record> find(String merId, String orderId, Kind kind) {
        Blob b = new Blob(Native.journalFind(handle(), pack(merId, orderId), kind.ordinal()));
        if (b.status == UpqrException.ENOTFOUND) {
            return Optional.empty();
        }
        return Optional.of(record(b.check()));
    }

    private static Record record(Blob b) {
        long id = b.i64();
        int k = b.i32();
        State state = State.of(b.i32());
        return new Record(id, k >= 0 && k < Kind.values().length ? Kind.values()[k] : Kind.NONE,
                state, b.str(), b.str(), b.str(), b.i64(), b.str(), b.i64(), b.str(), b.str(), b.str(),
                b.str(), b.str(), b.str(), b.str(), b.i64(), b.i64(), b.i64(), b.i64());
    }

    private static byte[] pack(String... strings) {
        ByteArrayOutputStream packed = new ByteArrayOutputStream();
        for (String s : strings) {
            AcquirerClient.slot(packed, s);
        }
        return packed.toByteArray();
    }

    /**
     * Writes a new order in state PENDING, owned by this handle; call it
     * before the request leaves. {@code currency} null means "156";
     * {@code origOrderId} names the original of a void, refund or reversal.
     *
     * @throws JournalException EDUPLICATE, ESTATE, EOVERREFUND; UpqrException ENOTFOUND (no
     *                          original), EINVAL (a malformed field, named)
     */
    public synchronized Record begin(Kind kind, String merId, String orderId, String txnTime, long amount,
            String currency, String origOrderId) {
        return record(new Blob(Native.journalBegin(handle(), kind.ordinal(),
                pack(merId, orderId, txnTime, currency, origOrderId), amount)).check());
    }

    /**
     * Moves record {@code id} to {@code to}, storing the non-null answer
     * fields; returns the record as it really is afterwards.
     *
     * @throws JournalException ESTATE (an illegal change), ECLAIMED; UpqrException ENOTFOUND, EINVAL
     */
    public synchronized Record transition(long id, State to, String respCode, String origRespCode,
            String respMsg, String queryId) {
        return record(new Blob(Native.journalTransition(handle(), id, to.ordinal() + 1,
                pack(respCode, origRespCode, respMsg, queryId), 0)).check());
    }

    public Record transition(long id, State to) {
        return transition(id, to, null, null, null, null);
    }
}
