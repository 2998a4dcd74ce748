package dev.upqr;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * EMVCo merchant-presented mode (MPM) payloads: decode with diagnostics,
 * encode from a {@link Builder}, set the amount of a payload. Stateless and
 * thread-safe.
 */
public final class Mpm {
    private Mpm() {
    }

    /** The rule set a payload is checked under (upqr/mpm.h profiles). */
    public enum Profile {
        /** EMVCo MPM v1.1 (the default). */
        EMVCO,
        /** EMVCo plus UnionPay's rules: ID 15 layout, no RFU IDs when generating. */
        UNIONPAY
    }

    /** Point of initiation (ID 01). */
    public enum Initiation {
        INVALID, NONE, STATIC, DYNAMIC;

        static Initiation of(long c) {
            return c == 11 ? STATIC : c == 12 ? DYNAMIC : c == 0 ? NONE : INVALID;
        }
    }

    /** Tip or convenience indicator (ID 55). */
    public enum Tip {
        INVALID, NONE, PROMPT, FIXED, PERCENTAGE;

        static Tip of(long c) {
            return c >= 0 && c <= 3 ? values()[(int) c + 1] : INVALID;
        }
    }

    /**
     * Decodes and validates a payload; throws when it has an error.
     *
     * @throws ChecksumException     the CRC is the only error
     * @throws InvalidInputException any other error, or longer than {@link Limits#MPM_INPUT_MAX}
     *                               bytes; {@link UpqrException#diagnostics()} says what and where
     */
    public static Payload decode(String payload) {
        return decode(payload, Profile.EMVCO);
    }

    public static Payload decode(String payload, Profile profile) {
        Payload p = inspect(payload, profile);
        if (p.status != 0) {
            throw UpqrException.of(p.status, p.head.message(), p.diagnostics);
        }
        return p;
    }

    /**
     * Decodes a payload as far as it goes and returns it with every
     * diagnostic, valid or not (for tools that show what is wrong). Throws
     * only when nothing could be decoded (too large, bad argument).
     */
    public static Payload inspect(String payload, Profile profile) {
        if (payload == null || profile == null) {
            throw UpqrException.of(UpqrException.EINVAL, "null payload or profile", null);
        }
        // the glue makes the UTF-8 (refusing an unpaired surrogate, as Text.utf8)
        // and returns it in the blob, where the payload's views point; the
        // array is sized for text of at most 1.5 UTF-8 bytes per char (else
        // the glue makes a larger one)
        int room = payload.length() <= TEXT_ROOM_MAX ? DECODE_BLOB + payload.length() + payload.length() / 2 : 0;
        byte[] r = Native.mpmDecodeText(payload, profile.ordinal(), room == 0 ? null : new byte[room]);
        Blob b = new Blob(r);
        int n = b.i32();
        if (n == -1) {
            b.check();
            throw UpqrException.of(UpqrException.EINTERNAL, "no UTF-8 from the glue", null);
        }
        int at = b.position();
        b.skip(n);
        return new Payload(r, at, n, profile, checked(b));
    }

    /** As {@link #inspect(String, Profile)} for UTF-8 bytes (e.g. from a scanner); the array is copied. */
    public static Payload inspect(byte[] utf8, Profile profile) {
        return decodeOwned(utf8 == null ? null : utf8.clone(), profile);
    }

    /*
     * Room for the result of a decode without the tables (about 420 bytes
     * plus the diagnostics): allocated here, where it is cheap, and filled by
     * the glue, which makes a larger array itself only when it does not fit.
     */
    private static final int DECODE_BLOB = 768;
    // Strings longer than this get their blob array from the glue (no guess)
    private static final int TEXT_ROOM_MAX = 4096;

    /** Throws when nothing could be decoded (the blob has no payload part). */
    private static Blob checked(Blob b) {
        if (b.status == UpqrException.EINVAL || b.status == UpqrException.ELIMIT) {
            b.check();
        }
        return b;
    }

    /** Decodes an array nobody else holds (the payload's views point into it). */
    private static Payload decodeOwned(byte[] input, Profile profile) {
        if (input == null || profile == null) {
            throw UpqrException.of(UpqrException.EINVAL, "null payload or profile", null);
        }
        Blob b = new Blob(Native.mpmDecode(input, profile.ordinal(), false, new byte[DECODE_BLOB]));
        return new Payload(input, 0, input.length, profile, checked(b));
    }

    /**
     * Sets or changes the amount (minor units of the payload's currency) and
     * makes the payload dynamic; every other object is kept byte for byte.
     */
    public static String setAmount(String payload, long amountMinor, Profile profile) {
        return new Blob(Native.mpmSetAmount(Text.utf8(payload), profile.ordinal(), amountMinor)).check().str();
    }

    public static String setAmount(String payload, long amountMinor) {
        return setAmount(payload, amountMinor, Profile.EMVCO);
    }

    /** One merchant account information entry (root IDs 02..51). */
    public record Account(int id, String network, String value, String guid) {
    }

    /** One data object: ID, byte offset of the ID in the input, value text and children (templates). */
    public record DataObject(int id, int offset, String value, List<DataObject> children, int flags) {
        public static final int TEMPLATE = 0x01;
        public static final int RFU = 0x02;
        public static final int TRUNCATED = 0x04;

        /** The child with that ID, or null. */
        public DataObject child(int childId) {
            for (DataObject c : children) {
                if (c.id == childId) {
                    return c;
                }
            }
            return null;
        }
    }

    /**
     * A decoded payload: immutable, with named fields. Text fields are
     * null when the object is absent. Money is in minor units (long),
     * never floating point.
     */
    public static final class Payload {
        // indexes into views, in the order of jni_mpm.c put_views
        private static final int V_FORMAT = 0, V_INITIATION = 1, V_MCC = 2, V_CURRENCY = 3, V_AMOUNT = 4,
                V_TIP = 5, V_FEE = 6, V_PERCENTAGE = 7, V_COUNTRY = 8, V_NAME = 9, V_CITY = 10,
                V_POSTAL = 11, V_ADDITIONAL = 12, V_LANGUAGE = 23, V_ALT_NAME = 24, V_ALT_CITY = 25,
                V_CRC = 26, V_UP_ACQUIRER = 27, V_UP_FORWARDING = 28, V_UP_MERCHANT = 29;
        // indexes into nums, in the order of put_numbers
        private static final int N_CHARS = 0, N_CRC_PRESENT = 1, N_CRC_COMPUTED = 2, N_CRC_STATED = 3,
                N_CURRENCY = 5, N_EXPONENT = 6, N_AMOUNT_EXACT = 7, N_AMOUNT = 8, N_FEE_EXACT = 9,
                N_FEE = 10, N_PERCENTAGE_BP = 11, N_POI = 12, N_TIP = 13, N_ERRORS = 14, N_WARNINGS = 15;

        // the UTF-8 text: input[inputAt .. inputAt + inputLen) (a caller's copy, or part of the blob)
        private final byte[] input;
        private final int inputAt;
        private final int inputLen;
        final int status;
        final Blob head; // status message, decoded only for an exception
        final List<Diagnostic> diagnostics;
        private final int dropped;
        // the named fields stay in the result blob and are read in place
        private final byte[] blob;
        private final int numsAt;
        private final int viewsAt;
        private final int alphaAt; // currencyAlpha's string field in the blob
        private final Profile profile;
        private List<Account> accounts;
        private int[] objects;
        private int[] subs;

        Payload(byte[] input, int inputAt, int inputLen, Profile profile, Blob b) {
            this.input = input;
            this.inputAt = inputAt;
            this.inputLen = inputLen;
            this.profile = profile;
            status = b.status;
            head = b;
            diagnostics = b.diagnostics;
            dropped = b.dropped;
            blob = b.data();
            int nn = b.i32();
            numsAt = b.position();
            b.skip(8 * nn);
            int nv = b.i32();
            viewsAt = b.position();
            b.skip(8 * nv);
            alphaAt = b.position();
        }

        /**
         * Accounts and the object tree, asked for when first needed: the same
         * decode again, this time with the tables (the first call leaves them
         * out, since most apps only read named fields).
         */
        private synchronized void readTree() {
            if (accounts != null) {
                return;
            }
            byte[] text = inputAt == 0 && inputLen == input.length ? input
                    : java.util.Arrays.copyOfRange(input, inputAt, inputAt + inputLen);
            Blob b = new Blob(Native.mpmDecode(text, profile.ordinal(), true, null));
            skipNamedFields(b);
            int n = b.i32();
            List<Account> acc = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int id = b.i32();
                String net = b.str();
                int vo = b.i32(), vl = b.i32(), go = b.i32(), gl = b.i32();
                acc.add(new Account(id, net, text(vo, vl), text(go, gl)));
            }
            objects = readObjects(b);
            subs = readObjects(b);
            accounts = Collections.unmodifiableList(acc);
        }

        private static void skipNamedFields(Blob b) {
            b.skip(8 * b.i32());
            b.skip(8 * b.i32());
            b.str();
        }

        private static int[] readObjects(Blob b) {
            int[] o = new int[7 * b.i32()];
            for (int i = 0; i < o.length; i++) {
                o[i] = b.i32();
            }
            return o;
        }

        private String text(int off, int len) {
            return off < 0 ? null : new String(input, inputAt + off, len, StandardCharsets.UTF_8);
        }

        private String view(int i) {
            return text(Blob.i32(blob, viewsAt + 8 * i), Blob.i32(blob, viewsAt + 8 * i + 4));
        }

        private long num(int i) {
            return Blob.i64(blob, numsAt + 8 * i);
        }

        /** True when the decode found no error (warnings allowed). */
        public boolean isValid() {
            return num(N_ERRORS) == 0;
        }

        /** 0 when valid, else the status {@link Mpm#decode} would throw. */
        public int status() {
            return status;
        }

        /** Every problem found (at most {@link Limits#DIAGNOSTICS_MAX}; see {@link #droppedDiagnostics()}). */
        public List<Diagnostic> diagnostics() {
            return diagnostics;
        }

        public int droppedDiagnostics() {
            return dropped;
        }

        public long errorCount() {
            return num(N_ERRORS);
        }

        public long warningCount() {
            return num(N_WARNINGS);
        }

        /** The payload text as decoded. */
        public String text() {
            return new String(input, inputAt, inputLen, StandardCharsets.UTF_8);
        }

        /** Characters (code points) of the payload. */
        public long characters() {
            return num(N_CHARS);
        }

        public String payloadFormat() {
            return view(V_FORMAT);
        }

        public Initiation initiation() {
            return Initiation.of(num(N_POI));
        }

        public boolean isDynamic() {
            return num(N_POI) == 12;
        }

        public List<Account> accounts() {
            readTree();
            return accounts;
        }

        /** UnionPay ID 15 parts (null when 15 does not have the 8 + 8 + 15 shape). */
        public String unionPayAcquirerIin() {
            return view(V_UP_ACQUIRER);
        }

        public String unionPayForwardingIin() {
            return view(V_UP_FORWARDING);
        }

        public String unionPayMerchantId() {
            return view(V_UP_MERCHANT);
        }

        public String merchantCategoryCode() {
            return view(V_MCC);
        }

        /** ID 53 as written, e.g. "156". */
        public String currency() {
            return view(V_CURRENCY);
        }

        /** ID 53 as a number, 0 when absent or not numeric. */
        public int currencyNumeric() {
            return (int) num(N_CURRENCY);
        }

        /** ISO 4217 letters ("CNY"), or null when not a current code. */
        public String currencyAlpha() {
            int n = Blob.i32(blob, alphaAt);
            return n == -1 ? null : new String(blob, alphaAt + 4, n, StandardCharsets.UTF_8);
        }

        /** Minor-unit digits of the currency, -1 when unknown. */
        public int currencyExponent() {
            return (int) num(N_EXPONENT);
        }

        /** ID 54 as written, e.g. "23.72". */
        public String amountText() {
            return view(V_AMOUNT);
        }

        /** ID 54 in minor units, when present and exact in the currency. */
        public OptionalLong amountMinor() {
            return num(N_AMOUNT_EXACT) != 0 ? OptionalLong.of(num(N_AMOUNT)) : OptionalLong.empty();
        }

        public Tip tip() {
            return Tip.of(num(N_TIP));
        }

        public String tipIndicator() {
            return view(V_TIP);
        }

        /** ID 56 in minor units, when present and exact. */
        public OptionalLong convenienceFeeMinor() {
            return num(N_FEE_EXACT) != 0 ? OptionalLong.of(num(N_FEE)) : OptionalLong.empty();
        }

        public String convenienceFeeText() {
            return view(V_FEE);
        }

        /** ID 57 in hundredths of a percent, 0 when absent or invalid. */
        public int conveniencePercentageBasisPoints() {
            return (int) num(N_PERCENTAGE_BP);
        }

        public String convenienceText() {
            return view(V_PERCENTAGE);
        }

        public String countryCode() {
            return view(V_COUNTRY);
        }

        public String merchantName() {
            return view(V_NAME);
        }

        public String merchantCity() {
            return view(V_CITY);
        }

        public String postalCode() {
            return view(V_POSTAL);
        }

        /** Additional data (62) sub-ID 01..11, e.g. 1 bill number, 3 store label, 7 terminal label. */
        public String additional(int subId) {
            if (subId < 1 || subId > 11) {
                throw new IllegalArgumentException("62 sub-IDs with names are 01..11");
            }
            return view(V_ADDITIONAL + subId - 1);
        }

        public String billNumber() {
            return additional(1);
        }

        public String storeLabel() {
            return additional(3);
        }

        public String referenceLabel() {
            return additional(5);
        }

        public String terminalLabel() {
            return additional(7);
        }

        /** 64/00: language preference. */
        public String languagePreference() {
            return view(V_LANGUAGE);
        }

        /** 64/01: merchant name in the alternate language. */
        public String alternateMerchantName() {
            return view(V_ALT_NAME);
        }

        /** 64/02: merchant city in the alternate language. */
        public String alternateMerchantCity() {
            return view(V_ALT_CITY);
        }

        /** ID 63 as written. */
        public String crc() {
            return view(V_CRC);
        }

        /** The CRC computed over the payload, or -1 when 63 is not well-formed. */
        public int crcComputed() {
            return num(N_CRC_PRESENT) != 0 ? (int) num(N_CRC_COMPUTED) : -1;
        }

        public int crcStated() {
            return num(N_CRC_PRESENT) != 0 ? (int) num(N_CRC_STATED) : -1;
        }

        /** The root data objects in payload order, with their children. */
        public List<DataObject> objects() {
            readTree();
            List<DataObject> out = new ArrayList<>(objects.length / 7);
            for (int i = 0; i < objects.length; i += 7) {
                out.add(object(objects, i));
            }
            return Collections.unmodifiableList(out);
        }

        private DataObject object(int[] table, int i) {
            List<DataObject> kids = new ArrayList<>();
            for (int k = 0; k < table[i + 5]; k++) {
                kids.add(object(subs, 7 * (table[i + 4] + k)));
            }
            return new DataObject(table[i], table[i + 1], text(table[i + 2], table[i + 3]),
                    Collections.unmodifiableList(kids), table[i + 6]);
        }

        /** An object by ID path such as "54", "62.05" or "64.01"; null when absent. */
        public DataObject find(String path) {
            DataObject cur = null;
            for (String part : path.split("\\.", -1)) {
                int id;
                try {
                    id = Integer.parseInt(part);
                } catch (NumberFormatException e) {
                    return null;
                }
                if (part.length() != 2) {
                    return null;
                }
                if (cur == null) {
                    for (DataObject o : objects()) {
                        if (o.id() == id) {
                            cur = o;
                            break;
                        }
                    }
                } else {
                    cur = cur.child(id);
                }
                if (cur == null) {
                    return null;
                }
            }
            return cur;
        }
    }

    /**
     * Typed fields to a payload. Money is minor units of the currency; text is
     * UTF-8 (Chinese, supplementary characters are fine; U+0000 and unpaired
     * surrogates are refused). The encoder refuses exactly what the decoder
     * would flag, with diagnostics.
     */
    public static final class Builder {
        private final Map<Integer, String> slots = new TreeMap<>();
        private final Map<Integer, Long> numbers = new TreeMap<>();
        private final ByteArrayOutputStream entries = new ByteArrayOutputStream();

        // text slots of jni_mpm.c set_slot
        private static final int S_UP_ACQ = 0, S_UP_FWD = 1, S_UP_MID = 2, S_MCC = 3, S_COUNTRY = 4,
                S_NAME = 5, S_CITY = 6, S_POSTAL = 7, S_LANGUAGE = 8, S_ALT_NAME = 9, S_ALT_CITY = 10,
                S_ADDITIONAL = 11;

        public Builder initiation(Initiation poi) {
            numbers.put(0, (long) (poi == Initiation.STATIC ? 11 : poi == Initiation.DYNAMIC ? 12 : 0));
            return this;
        }

        /** A primitive merchant account entry (02..25), e.g. a card network's merchant ID. */
        public Builder account(int id, String value) {
            entry(0, id);
            rec('V', value);
            return this;
        }

        /** A merchant account template (26..51): GUID and sub-objects 01..99. */
        public Builder accountTemplate(int id, String guid, Map<Integer, String> subObjects) {
            return template(0, id, guid, subObjects);
        }

        public Builder unionPayId(String acquirerIin, String forwardingIin, String merchantId) {
            slots.put(S_UP_ACQ, acquirerIin);
            slots.put(S_UP_FWD, forwardingIin);
            slots.put(S_UP_MID, merchantId);
            return this;
        }

        public Builder merchantCategoryCode(String mcc) {
            slots.put(S_MCC, mcc);
            return this;
        }

        /** ISO 4217 numeric currency, e.g. 156. */
        public Builder currency(int numeric) {
            numbers.put(1, (long) numeric);
            return this;
        }

        /** Amount in minor units of the currency. */
        public Builder amount(long minor) {
            numbers.put(2, minor);
            return this;
        }

        public Builder tipPrompt() {
            numbers.put(3, 1L);
            return this;
        }

        public Builder convenienceFee(long minor) {
            numbers.put(3, 2L);
            numbers.put(4, minor);
            return this;
        }

        /** Convenience percentage in hundredths of a percent (1..9999). */
        public Builder conveniencePercentage(int basisPoints) {
            numbers.put(3, 3L);
            numbers.put(5, (long) basisPoints);
            return this;
        }

        public Builder countryCode(String cc) {
            slots.put(S_COUNTRY, cc);
            return this;
        }

        public Builder merchantName(String name) {
            slots.put(S_NAME, name);
            return this;
        }

        public Builder merchantCity(String city) {
            slots.put(S_CITY, city);
            return this;
        }

        public Builder postalCode(String code) {
            slots.put(S_POSTAL, code);
            return this;
        }

        /** Additional data (62) sub-ID 01..11. */
        public Builder additional(int subId, String value) {
            if (subId < 1 || subId > 11) {
                throw new IllegalArgumentException("62 sub-IDs with names are 01..11");
            }
            slots.put(S_ADDITIONAL + subId - 1, value);
            return this;
        }

        /** A payment-system template inside 62 (62/50..99). */
        public Builder additionalTemplate(int id, String guid, Map<Integer, String> subObjects) {
            return template(1, id, guid, subObjects);
        }

        /** Merchant information in another language (64). */
        public Builder language(String preference, String name, String city) {
            slots.put(S_LANGUAGE, preference);
            slots.put(S_ALT_NAME, name);
            slots.put(S_ALT_CITY, city);
            return this;
        }

        /** An unreserved template (80..99). */
        public Builder unreservedTemplate(int id, String guid, Map<Integer, String> subObjects) {
            return template(2, id, guid, subObjects);
        }

        private Builder template(int kind, int id, String guid, Map<Integer, String> subs) {
            entry(kind, id);
            rec('G', guid);
            for (Map.Entry<Integer, String> e : new TreeMap<>(subs).entrySet()) {
                entries.write('O');
                entries.write(checkId(e.getKey()));
                text(entries, e.getValue());
            }
            return this;
        }

        private void entry(int kind, int id) {
            entries.write('E');
            entries.write(kind);
            entries.write(checkId(id));
        }

        private void rec(char tag, String value) {
            entries.write(tag);
            text(entries, value);
        }

        private static int checkId(int id) {
            if (id < 0 || id > 99) {
                throw new IllegalArgumentException("IDs are 00..99: " + id);
            }
            return id;
        }

        private static void text(ByteArrayOutputStream out, String s) {
            if (s == null) {
                throw new IllegalArgumentException("null text");
            }
            byte[] b = Text.cstring(s);
            out.write(b, 0, b.length);
            out.write(0);
        }

        byte[] records() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (Map.Entry<Integer, String> e : slots.entrySet()) {
                if (e.getValue() != null) {
                    out.write('S');
                    out.write(e.getKey());
                    text(out, e.getValue());
                }
            }
            for (Map.Entry<Integer, Long> e : numbers.entrySet()) {
                out.write('N');
                out.write(e.getKey());
                long v = e.getValue();
                for (int i = 7; i >= 0; i--) {
                    out.write((int) (v >>> (8 * i)));
                }
            }
            byte[] e = entries.toByteArray();
            out.write(e, 0, e.length);
            return out.toByteArray();
        }

        /**
         * The payload text (00 first, 63 last with an upper-case CRC).
         *
         * @throws InvalidInputException a field breaks a rule; the diagnostics name it
         */
        public String build(Profile profile) {
            return new Blob(Native.mpmEncode(records(), profile.ordinal())).check().str();
        }

        public String build() {
            return build(Profile.EMVCO);
        }
    }
}
