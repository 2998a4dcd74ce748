package dev.upqr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Cipher;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Known answers computed here with the JDK's own crypto (independently of
 * OpenSSL, which the library uses), and verification against the test PKI
 * of scripts/gen-test-pki.sh.
 */
class SignTest {
    private static List<Acp.Field> fields(String... kv) {
        List<Acp.Field> out = new ArrayList<>();
        for (int i = 0; i < kv.length; i += 2) {
            out.add(new Acp.Field(kv[i], kv[i + 1]));
        }
        return out;
    }

    /** The string to sign as the spec says: without signature, sorted by key bytes, k=v joined by '&'. */
    private static String stringToSign(List<Acp.Field> f) {
        List<Acp.Field> s = new ArrayList<>(f);
        s.removeIf(x -> x.key().equals("signature"));
        s.sort(Comparator.comparing(x -> new String(x.key().getBytes(StandardCharsets.UTF_8),
                StandardCharsets.ISO_8859_1)));
        StringBuilder b = new StringBuilder();
        for (Acp.Field x : s) {
            b.append(b.length() == 0 ? "" : "&").append(x.key()).append('=').append(x.value());
        }
        return b.toString();
    }

    private static String hex(String alg, byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance(alg).digest(data));
    }

    private static PrivateKey pkcs8(Path pem) throws Exception {
        String b64 = TestFiles.read(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
    }

    private static PublicKey certKey(Path pem) throws Exception {
        try (var in = java.nio.file.Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificate(in).getPublicKey();
        }
    }

    private static Signer pemSigner(String key, String cert, Acp.Version v) {
        return Signer.open(new Signer.Options().version(v).pem(TestFiles.pki(key), TestFiles.pki(cert)));
    }

    @Test
    void knownAnswerSignMethod11() throws Exception {
        byte[] key = "88888888".getBytes(StandardCharsets.US_ASCII);
        List<Acp.Field> f = fields("version", "5.1.0", "signMethod", "11", "orderId", "20240101abc",
                "memo", "{a&b=c 成}");
        String want = hex("SHA-256", (stringToSign(f) + "&" + hex("SHA-256", key)).getBytes(StandardCharsets.UTF_8));
        assertEquals(stringToSign(f), Acp.stringToSign(f));
        try (Signer s = Signer.open(new Signer.Options().signMethod(Acp.SignMethod.SHA256).secureKey(key))) {
            assertEquals("", s.certId());
            String sig = s.sign(f);
            assertEquals(want, sig);
            List<Acp.Field> signed = new ArrayList<>(f);
            signed.add(new Acp.Field("signature", sig));
            try (Verifier v = Verifier.open(new Verifier.Options().secureKey(key))) {
                v.verify(signed);
                signed.set(4, new Acp.Field("signature", sig.replace(sig.charAt(0), sig.charAt(0) == 'a' ? 'b' : 'a')));
                MessageSecurityException e = assertThrows(MessageSecurityException.class, () -> v.verify(signed));
                assertEquals(UpqrException.ESIG_DIGEST, e.status());
            }
        }
    }

    @Test
    void knownAnswerSignMethod12Sm3() throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("openssl", "dgst", "-sm3", "-r").redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("no openssl command: " + e.getMessage());
            return;
        }
        byte[] key = "88888888".getBytes(StandardCharsets.US_ASCII);
        List<Acp.Field> f = fields("version", "5.1.0", "signMethod", "12", "orderId", "x1");
        String inner = sm3(key);
        String want = sm3((stringToSign(f) + "&" + inner).getBytes(StandardCharsets.UTF_8));
        p.destroy();
        try (Signer s = Signer.open(new Signer.Options().signMethod(Acp.SignMethod.SM3).secureKey(key))) {
            assertEquals(want, s.sign(f));
        }
    }

    /** SM3 is not in the JDK: the openssl command computes it (a skip when it cannot). */
    private static String sm3(byte[] data) throws Exception {
        Process p = new ProcessBuilder("openssl", "dgst", "-sm3", "-r").start();
        p.getOutputStream().write(data);
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        Assumptions.assumeTrue(p.waitFor() == 0 && out.length() >= 64, "openssl without SM3");
        return out.substring(0, 64);
    }

    private static void knownAnswerRsa(Acp.Version v, String digest, String alg) throws Exception {
        try (Signer s = pemSigner("merchant.key", "merchant.pem", v)) {
            List<Acp.Field> f = fields("version", v == Acp.Version.V5_0_0 ? "5.0.0" : "5.1.0", "txnAmt", "100",
                    "backUrl", "https://m.example/n?a=1", "certId", s.certId(), "memo", "成 +/",
                    "accNo", "x", "accessType", "0");
            Signature rsa = Signature.getInstance(alg);
            rsa.initSign(pkcs8(TestFiles.pki("merchant.key")));
            rsa.update(hex(digest, stringToSign(f).getBytes(StandardCharsets.UTF_8)).getBytes(StandardCharsets.US_ASCII));
            assertEquals(Base64.getEncoder().encodeToString(rsa.sign()), s.sign(f));
            // the request body carries the same signature, URL-encoded
            List<Acp.Field> body = Acp.parseForm(s.buildRequest(f.subList(0, 3)));
            assertEquals("signature", body.get(body.size() - 1).key());
            assertEquals(s.certId(), body.get(body.size() - 2).value());
        }
    }

    @Test
    void knownAnswerSignMethod01Version510() throws Exception {
        knownAnswerRsa(Acp.Version.V5_1_0, "SHA-256", "SHA256withRSA");
    }

    @Test
    void knownAnswerSignMethod01Version500() throws Exception {
        knownAnswerRsa(Acp.Version.V5_0_0, "SHA-1", "SHA1withRSA");
    }

    /** A UnionPay-signed 5.1.0 response: chain, time, subject and every field checked. */
    @Test
    void verifyUnionPaySignatures() {
        String pem = TestFiles.read(TestFiles.pki("upop_sign.pem")).replace("\n", "\r\n");
        List<Acp.Field> f = fields("version", "5.1.0", "encoding", "UTF-8", "txnType", "01", "orderId", "o1",
                "respCode", "00", "respMsg", "成功", "reqReserved", "{a=1&b=[2]}", "signMethod", "01",
                "signPubKeyCert", pem);
        try (Signer up = pemSigner("upop_sign.key", "upop_sign.pem", Acp.Version.V5_1_0);
                Verifier v = Verifier.open(new Verifier.Options().trust(TestFiles.pki("root.pem"),
                        TestFiles.pki("middle.pem")))) {
            f.add(new Acp.Field("signature", up.sign(f)));
            v.verify(f);
            assertEquals(1, v.cacheCount());
            // the same message through the response wire format
            v.verify(Acp.parseResponse(rawResponse(f)));
            MessageSecurityException exp = assertThrows(MessageSecurityException.class,
                    () -> v.verify(f, Instant.parse("2100-01-01T00:00:00Z")));
            assertEquals(UpqrException.ECERT_EXPIRED, exp.status());
            f.set(3, new Acp.Field("orderId", "o2"));
            MessageSecurityException dig = assertThrows(MessageSecurityException.class, () -> v.verify(f));
            assertEquals(UpqrException.ESIG_DIGEST, dig.status());
            f.remove(f.size() - 1);
            MessageSecurityException miss = assertThrows(MessageSecurityException.class, () -> v.verify(f));
            assertEquals(UpqrException.ESIG_MISSING, miss.status());
            MessageSecurityException rogue = assertThrows(MessageSecurityException.class,
                    () -> v.checkCertificate(TestFiles.read(TestFiles.pki("rogue.pem")), null));
            assertEquals(UpqrException.ECERT_UNTRUSTED, rogue.status());
            v.checkCertificate(pem, null);
        }
    }

    private static String rawResponse(List<Acp.Field> f) {
        StringBuilder b = new StringBuilder();
        for (Acp.Field x : f) {
            b.append(b.length() == 0 ? "" : "&").append(x.key()).append('=').append(x.value());
        }
        return b.toString();
    }

    @Test
    void encryptAndDecryptSensitiveFields() throws Exception {
        try (Signer s = Signer.open(new Signer.Options().pem(TestFiles.pki("merchant.key"), TestFiles.pki("merchant.pem"))
                .encryptCertificate(TestFiles.pki("enc.pem")))) {
            assertTrue(s.encryptCertId().matches("\\d+"));
            Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
            c.init(Cipher.DECRYPT_MODE, pkcs8(TestFiles.pki("enc.key")));
            byte[] pan = "6222021234567890123".getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(pan, c.doFinal(Base64.getDecoder().decode(s.encrypt(pan))));
            c.init(Cipher.ENCRYPT_MODE, certKey(TestFiles.pki("merchant.pem")));
            assertArrayEquals(pan, s.decrypt(Base64.getEncoder().encodeToString(c.doFinal(pan))));
            UpqrException b64 = assertThrows(InvalidInputException.class, () -> s.decrypt("!!"));
            assertEquals(UpqrException.EBASE64, b64.status());
        }
        assertEquals("622202*********0123", Acp.maskPan("6222021234567890123"));
    }

    @Test
    void badInputsGiveTheRightExceptions() {
        MessageSecurityException pw = assertThrows(MessageSecurityException.class, () -> Signer.open(
                new Signer.Options().pkcs12(TestFiles.pki("merchant.pfx"), "000001".toCharArray())));
        assertEquals(UpqrException.EPASSWORD, pw.status());
        try (Signer ok = Signer.open(new Signer.Options().pkcs12(TestFiles.pki("merchant.pfx"), "000000".toCharArray()))) {
            assertTrue(ok.certId().matches("\\d+"));
        }
        UpqrException io = assertThrows(UpqrException.class, () -> Signer.open(
                new Signer.Options().pkcs12(TestFiles.pki("missing.pfx"), "000000".toCharArray())));
        assertEquals(UpqrException.EIO, io.status());
        UpqrException none = assertThrows(UpqrException.class, () -> Verifier.open(new Verifier.Options()));
        assertEquals(UpqrException.EINVAL, none.status());
        InvalidInputException dup = assertThrows(InvalidInputException.class, () -> Acp.parseResponse("a=1&a=2"));
        assertEquals(UpqrException.EINVALID, dup.status());
        assertTrue(!dup.diagnostics().isEmpty());
        assertThrows(InvalidInputException.class, () -> Acp.parseForm("a=%zz"));
        assertThrows(InvalidInputException.class, () -> Acp.stringToSign(fields("a", "1", "a", "2")));
        try (Signer s = Signer.open(new Signer.Options().signMethod(Acp.SignMethod.SHA256).secureKey(new byte[8]))) {
            InvalidInputException empty = assertThrows(InvalidInputException.class,
                    () -> s.buildRequest(fields("a", "")));
            assertEquals(UpqrException.EINVALID, empty.status());
            UpqrException enc = assertThrows(UpqrException.class, () -> s.encrypt(new byte[] {1}));
            assertEquals(UpqrException.ECERT_UNKNOWN, enc.status());
        }
        // a value with '&' outside one {...} group could stand for another field set
        try (Signer s = Signer.open(new Signer.Options().signMethod(Acp.SignMethod.SHA256).secureKey(new byte[8]))) {
            MessageSecurityException amb = assertThrows(MessageSecurityException.class,
                    () -> s.sign(fields("version", "5.1.0", "signMethod", "11", "memo", "a&b=c")));
            assertEquals(UpqrException.EAMBIGUOUS, amb.status());
        }
        assertEquals(List.of(new Acp.Field("a", "b c")), Acp.parseForm("a=b+c"));
        assertEquals("a=%E6%88%90%20", Acp.formEncode(fields("a", "成 ")));
    }
}
