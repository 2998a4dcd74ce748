package dev.upqr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

class CpmTest {
    private static final String IMK = "0123456789ABCDEFFEDCBA9876543210";

    private static CpmProfile profile() {
        return CpmProfile.parse(TestFiles.read(TestFiles.data("cpm-profile.json")));
    }

    private static Cpm.Txn txn() {
        return new Cpm.Txn().amount(12345).unpredictableNumber(0x11223344).date(2024, 5, 17);
    }

    @Test
    void generateDecodeVerify() {
        try (CpmProfile p = profile(); EmvKey mk = p.key()) {
            assertTrue(p.hasKey());
            Cpm.Generated g = Cpm.generate(mk, p, 41, txn());
            assertEquals(42, g.atc());
            assertTrue(g.text().startsWith("hQVDUFY"), g.text());
            Cpm.Decoded d = Cpm.decode(g.text(), true);
            assertTrue(d.valid());
            assertEquals("A000000333010101", d.aid());
            assertEquals("UnionPay Debit", d.aidName());
            assertEquals("UnionPay Debit", d.label());
            assertEquals("625094******0014", d.panMasked());
            assertEquals(16, d.panDigits());
            assertEquals("3012", d.expiry());
            assertEquals("201", d.serviceCode());
            assertEquals(0, d.psn());
            assertFalse(d.hexMasked().contains("6250947000000014"), "the hex dump is masked");
            // the ARQC layer, under the card key and under the issuer key (option A)
            Cpm.Cryptogram c = Cpm.verify(mk, Cpm.KeyRole.ICC_MK, g.text());
            assertEquals(42, c.atc());
            assertEquals(0xA1, c.cvn());
            assertEquals(1, c.dki());
            assertEquals(0x80, c.cid());
            assertEquals(8, c.arqc().length);
            try (EmvKey imk = EmvKey.of(EmvKey.Type.TDES, HexFormat.of().parseHex(IMK))) {
                assertArrayEquals(c.arqc(), Cpm.verify(imk, Cpm.KeyRole.IMK_OPTION_A, g.text()).arqc());
            }
            // and against the token record
            assertEquals(42, Cpm.verifyToken(mk, Cpm.KeyRole.ICC_MK, p, g.text()).atc());
        }
    }

    /** A changed byte anywhere stops verification with the right exception. */
    @Test
    void tamperedCodesAreRefused() {
        try (CpmProfile p = profile(); EmvKey mk = p.key()) {
            String text = Cpm.generate(mk, p, 0, txn()).text();
            byte[] bin = Base64.getDecoder().decode(text);
            // the last byte belongs to 9C (transaction type), covered by the ARQC
            bin[bin.length - 1] ^= 0x01;
            String bad = Base64.getEncoder().encodeToString(bin);
            CryptoException e = assertThrows(CryptoException.class, () -> Cpm.verify(mk, Cpm.KeyRole.ICC_MK, bad));
            assertEquals(UpqrException.EMISMATCH, e.status());
            // another key
            try (EmvKey other = EmvKey.of(EmvKey.Type.TDES, HexFormat.of().parseHex(IMK))) {
                CryptoException w = assertThrows(CryptoException.class,
                        () -> Cpm.verify(other, Cpm.KeyRole.ICC_MK, text));
                assertEquals(UpqrException.EMISMATCH, w.status());
            }
        }
    }

    @Test
    void badInputsGiveTheRightExceptions() {
        InvalidInputException b64 = assertThrows(InvalidInputException.class, () -> Cpm.decode("hQVD UFY="));
        assertEquals(UpqrException.EBASE64, b64.status());
        assertEquals("base64_invalid", b64.diagnostics().get(0).code());
        InvalidInputException tlv = assertThrows(InvalidInputException.class, () -> Cpm.decode("hQ=="));
        assertEquals(UpqrException.ETLV, tlv.status());
        InvalidInputException huge = assertThrows(InvalidInputException.class,
                () -> Cpm.decode("A".repeat(Limits.CPM_TEXT_MAX + 4)));
        assertEquals(UpqrException.ELIMIT, huge.status());
        Cpm.Decoded partial = Cpm.inspect("hQVDUFYwMQ==", false);
        assertFalse(partial.valid());
        assertTrue(partial.diagnostics().stream().anyMatch(d -> d.code().equals("app_template_missing")));
        // keys
        CryptoException k = assertThrows(CryptoException.class, () -> EmvKey.of(EmvKey.Type.TDES, new byte[15]));
        assertEquals(UpqrException.EKEY, k.status());
        assertThrows(UpqrException.class, () -> EmvKey.of(EmvKey.Type.AES128, null));
        // profiles
        InvalidInputException j = assertThrows(InvalidInputException.class,
                () -> CpmProfile.parse("{\"aid\": \"A0000003330101\", \"bogus\": 1}"));
        assertTrue(j.diagnostics().stream().anyMatch(d -> d.code().equals("profile_unknown_field")
                && d.path().equals("bogus")), j.diagnostics().toString());
        try (CpmProfile noKey = CpmProfile.parse("{\"aid\": \"A000000333010101\", \"pan\": \"6250947000000014\","
                + " \"expiry\": \"3012\"}")) {
            assertFalse(noKey.hasKey());
            UpqrException nf = assertThrows(UpqrException.class, noKey::key);
            assertEquals(UpqrException.ENOTFOUND, nf.status());
        }
        // generation: exhausted counter, bad transaction values, key of the wrong type
        try (CpmProfile p = profile(); EmvKey mk = p.key()) {
            UpqrException l = assertThrows(InvalidInputException.class, () -> Cpm.generate(mk, p, 65535, txn()));
            assertEquals(UpqrException.ELIMIT, l.status());
            UpqrException m = assertThrows(UpqrException.class,
                    () -> Cpm.generate(mk, p, 1, txn().date(2024, 13, 1)));
            assertEquals(UpqrException.EINVAL, m.status());
            assertNotEquals("", m.getMessage());
            try (EmvKey aes = EmvKey.of(EmvKey.Type.AES128, new byte[16])) {
                CryptoException t = assertThrows(CryptoException.class, () -> Cpm.generate(aes, p, 1, txn()));
                assertEquals(UpqrException.EKEY, t.status());
            }
        }
    }

    @Test
    void verifyRefusesBadInputAndForeignRecords() {
        String json = TestFiles.read(TestFiles.data("cpm-profile.json"));
        try (CpmProfile p = profile(); EmvKey mk = p.key();
                CpmProfile other = CpmProfile.parse(json.replace("\"label\": \"UnionPay Debit\"",
                        "\"label\": \"Other Label\""))) {
            String text = Cpm.generate(mk, p, 7, txn()).text();
            // the ARQC alone does not cover the label; the token record does
            assertEquals(8, Cpm.verify(mk, Cpm.KeyRole.ICC_MK, text).atc());
            CryptoException rec = assertThrows(CryptoException.class,
                    () -> Cpm.verifyToken(mk, Cpm.KeyRole.ICC_MK, other, text));
            assertEquals(UpqrException.ERECORD, rec.status());
            assertTrue(rec.diagnostics().stream().anyMatch(d -> d.code().equals("record_mismatch")
                    && d.path().equals("61.50")), rec.diagnostics().toString());
            InvalidInputException bad = assertThrows(InvalidInputException.class,
                    () -> Cpm.verify(mk, Cpm.KeyRole.ICC_MK, "not base64"));
            assertEquals(UpqrException.EBASE64, bad.status());
            assertThrows(InvalidInputException.class, () -> Cpm.verifyToken(mk, Cpm.KeyRole.ICC_MK, p, "hQ=="));
            // option B needs a TDES issuer key: an AES key is refused
            try (EmvKey aes = EmvKey.of(EmvKey.Type.AES128, new byte[16])) {
                CryptoException k = assertThrows(CryptoException.class,
                        () -> Cpm.verify(aes, Cpm.KeyRole.IMK_OPTION_B, text));
                assertEquals(UpqrException.EKEY, k.status());
            }
        }
    }

    @Test
    void keyCheckValue() {
        // KCV of the all-zero double-length DES key: 8CA64D
        try (EmvKey k = EmvKey.of(EmvKey.Type.TDES, new byte[16])) {
            assertArrayEquals(HexFormat.of().parseHex("8CA64D"), k.checkValue());
        }
    }
}
