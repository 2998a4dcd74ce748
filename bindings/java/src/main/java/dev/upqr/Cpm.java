package dev.upqr;

import java.util.List;

/**
 * EMVCo consumer-presented mode (CPM): decode and validate the code a
 * wallet shows, generate one for a token profile, verify its ARQC.
 * Decoded results hold the card number only masked.
 */
public final class Cpm {
    private Cpm() {
    }

    /** What the verification key is (upqr_cpm_key_role). */
    public enum KeyRole {
        /** The card's master key for AC. */
        ICC_MK,
        /** The issuer master key; the card key derived by EMV option A. */
        IMK_OPTION_A,
        /** The issuer master key; option B. */
        IMK_OPTION_B
    }

    /** A decoded CPM (the selected application). */
    public record Decoded(boolean valid, int version, int applicationCount, int selected, String aid,
            String aidName, String label, String panMasked, int panDigits, boolean panLuhnOk,
            String expiry, String serviceCode, String discretionary, int psn, String hexMasked,
            List<Diagnostic> diagnostics) {
    }

    /** What the verifier read from the cryptogram data. */
    public record Cryptogram(int cvn, int dki, int atc, byte[] arqc, int cid) {
    }

    /** A generated code and the ATC it carries (persist it before showing the code). */
    public record Generated(String text, int atc) {
    }

    /** Per-code transaction values for {@link #generate}. */
    public static final class Txn {
        long amount = -1;
        long un = -1;
        int year;
        int month;
        int day;
        int type;

        /** Amount authorised in minor units (absent by default). */
        public Txn amount(long minor) {
            amount = minor;
            return this;
        }

        /** A fixed unpredictable number (tests); by default 4 random bytes from OpenSSL. */
        public Txn unpredictableNumber(int un) {
            this.un = un & 0xFFFFFFFFL;
            return this;
        }

        /** Transaction date (default: today, UTC). */
        public Txn date(int year, int month, int day) {
            this.year = year;
            this.month = month;
            this.day = day;
            return this;
        }

        /** '9C' transaction type, 0 = purchase (the default). */
        public Txn type(int type) {
            this.type = type;
            return this;
        }
    }

    /**
     * Decodes and validates a base64 CPM; with unionPayAids, the built-in
     * UnionPay AIDs are the selection list.
     *
     * @throws InvalidInputException EBASE64, ETLV, EINVALID or ELIMIT, with diagnostics
     */
    public static Decoded decode(String text, boolean unionPayAids) {
        Blob b = new Blob(Native.cpmDecode(Text.utf8(text), unionPayAids)).check();
        return read(b);
    }

    public static Decoded decode(String text) {
        return decode(text, false);
    }

    /** Decodes as far as it goes and reports every diagnostic, valid or not. */
    public static Decoded inspect(String text, boolean unionPayAids) {
        Blob b = new Blob(Native.cpmDecode(Text.utf8(text), unionPayAids));
        if (b.status == UpqrException.EINVAL || b.status == UpqrException.EVERSION) {
            b.check();
        }
        return read(b);
    }

    private static Decoded read(Blob b) {
        boolean valid = b.i32() != 0;
        int version = b.i32(), apps = b.i32(), selected = b.i32(), psn = b.i32(), panLen = b.i32();
        boolean luhn = b.i32() != 0;
        String aid = b.str(), aidName = b.str(), label = b.str(), pan = b.str(), expiry = b.str();
        String service = b.str(), disc = b.str(), hex = b.str();
        return new Decoded(valid, version, apps, selected, aid, aidName, label, pan, panLen, luhn,
                expiry, service, disc, psn, hex, b.diagnostics);
    }

    /**
     * Builds the code for one payment: uses lastAtc + 1 (0 for a fresh
     * profile) and returns it with the text.
     *
     * @throws UpqrException ELIMIT when lastAtc is 65535; EINVAL for a profile or txn field out
     *                       of range (the message names it); CryptoException EKEY when the key does
     *                       not fit the CVN
     */
    public static Generated generate(EmvKey cardKey, CpmProfile profile, int lastAtc, Txn txn) {
        synchronized (cardKey) {
            synchronized (profile) {
                Blob b = new Blob(Native.cpmGenerate(cardKey.handle(), profile.handle(), lastAtc,
                        txn.amount, txn.un, txn.year, txn.month, txn.day, txn.type)).check();
                int atc = b.i32();
                return new Generated(b.str(), atc);
            }
        }
    }

    /**
     * Recomputes the ARQC of a code and compares it (the per-code data
     * only; see {@link #verifyToken}).
     *
     * @throws CryptoException EMISMATCH for a wrong cryptogram; InvalidInputException when the code
     *                         does not decode; UpqrException EUNSUPPORTED for a foreign IAD
     */
    public static Cryptogram verify(EmvKey key, KeyRole role, String text) {
        synchronized (key) {
            return cryptogram(new Blob(Native.cpmVerify(key.handle(), role.ordinal(), 0, Text.utf8(text))).check());
        }
    }

    /**
     * Verifies a code against the issuer's token record (every static
     * element byte for byte, CryptoException ERECORD otherwise), then its ARQC.
     */
    public static Cryptogram verifyToken(EmvKey key, KeyRole role, CpmProfile record, String text) {
        synchronized (key) {
            synchronized (record) {
                return cryptogram(new Blob(Native.cpmVerify(key.handle(), role.ordinal(), record.handle(),
                        Text.utf8(text))).check());
            }
        }
    }

    private static Cryptogram cryptogram(Blob b) {
        int cvn = b.i32(), dki = b.i32(), atc = b.i32();
        byte[] arqc = b.bytes();
        return new Cryptogram(cvn, dki, atc, arqc, b.i32());
    }
}
